export function StageBadge({ stage }: { stage: string | null | undefined }) {
  const value = stage ?? 'idle';
  return (
    <span className={`badge badge-${value}`} data-stage={value}>
      {value}
    </span>
  );
}
