// A React-style component: props in, an element tree out.
export interface ToolCardProps {
  name: string;
  lentTo: string | null;
}

export function ToolCard({ name, lentTo }: ToolCardProps) {
  const status = lentTo === null ? "available" : `lent to ${lentTo}`;
  return (
    <article className="tool">
      <h2>{name}</h2>
      <p>{status}</p>
    </article>
  );
}
