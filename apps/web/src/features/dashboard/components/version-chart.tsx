import { useMantineTheme } from '@mantine/core';
import type { VersionCountDto } from '@upgrade-manager/dto';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export function VersionChart({ versions, latest }: { versions: VersionCountDto[]; latest: string | null }) {
  const theme = useMantineTheme();
  // Oldest on the left reads like a timeline; the API sends newest first.
  const data = [...versions].reverse().map((entry) => ({ version: entry.version ?? 'unknown', count: entry.count }));
  return (
    <div role="img" aria-label={`Gateways per version: ${data.map((entry) => `${entry.version}: ${entry.count}`).join(', ')}`}>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="version" tickLine={false} />
          <YAxis allowDecimals={false} width={48} />
          <Tooltip formatter={(value) => [value, 'gateways']} labelFormatter={(label) => `Version ${label}`} />
          <Bar dataKey="count" radius={[4, 4, 0, 0]} isAnimationActive={false}>
            {data.map((entry) => (
              <Cell key={entry.version} fill={entry.version === latest ? theme.colors.teal[6] : theme.colors.indigo[4]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
