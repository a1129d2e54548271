import { useRoute } from './lib/hooks.ts';
import { DeploymentView } from './views/deployment.tsx';
import { ProjectsView } from './views/projects.tsx';
import { WorkloadView } from './views/workload.tsx';

export function App() {
  const [section, id] = useRoute();
  const view =
    section === 'deployments' && id ? (
      <DeploymentView key={id} id={id} />
    ) : section === 'workloads' && id ? (
      <WorkloadView key={id} id={id} />
    ) : (
      <ProjectsView />
    );
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">
          AgentForge
        </a>
        <nav>
          <a href="#/">Deployments</a>
          <a href="/graphql">GraphiQL</a>
        </nav>
      </header>
      {view}
    </>
  );
}
