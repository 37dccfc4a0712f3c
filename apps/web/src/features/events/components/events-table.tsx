import { Anchor, Badge, Table, Text } from '@mantine/core';
import type { EventDto } from '@upgrade-manager/dto';
import { Link } from 'react-router-dom';
import { paths } from '../../../config/paths';
import { formatDateTime } from '../../../utils/format';
import { describeDetails, EVENT_COLORS, EVENT_LABELS } from './event-labels';

export function EventsTable({ events, showCompany = false }: { events: EventDto[]; showCompany?: boolean }) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped highlightOnHover verticalSpacing="xs" aria-label="Events">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Event</Table.Th>
            <Table.Th>Who</Table.Th>
            <Table.Th>Gateway</Table.Th>
            {showCompany && <Table.Th>Company</Table.Th>}
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => (
            <Table.Tr key={event.id}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(event.at)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Badge variant="light" color={EVENT_COLORS[event.type] ?? 'gray'}>
                  {EVENT_LABELS[event.type] ?? event.type}
                </Badge>
              </Table.Td>
              <Table.Td>
                {event.actor ? (
                  event.actor.email
                ) : (
                  <Text span c="dimmed">
                    system
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {event.gatewayId ? (
                  <Anchor component={Link} to={paths.gateway.getHref(event.gatewayId)}>
                    {event.gatewayId}
                  </Anchor>
                ) : (
                  '—'
                )}
              </Table.Td>
              {showCompany && <Table.Td>{event.companyId}</Table.Td>}
              <Table.Td>
                <Text size="sm" c="dimmed" lineClamp={2}>
                  {describeDetails(event)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
