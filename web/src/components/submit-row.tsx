/** A form's submit button, disabled while its action runs, and the API's error when it failed. */
export function SubmitRow({
  label,
  action,
}: {
  label: string;
  action: { pending: boolean; error?: string };
}) {
  return (
    <>
      <button type="submit" disabled={action.pending}>
        {label}
      </button>
      {action.error && (
        <p className="error" role="alert">
          {action.error}
        </p>
      )}
    </>
  );
}
