import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import type { DeploymentTargetDto } from '@upgrade-manager/dto';
import { MemoryRouter } from 'react-router-dom';
import { V2DeliveryTable } from './v2-delivery-table';

const MiB = 1024 * 1024;

function target(gatewayId: string, delivery?: DeploymentTargetDto['delivery']): DeploymentTargetDto {
  return {
    gatewayId,
    companyId: '2',
    status: 'pending',
    reason: null,
    reportedVersion: null,
    deadline: '2026-01-01T12:10:00.000Z',
    updatedAt: '2026-01-01T12:00:00.000Z',
    delivery,
  };
}

function renderTable(targets: DeploymentTargetDto[]) {
  return render(
    <MantineProvider>
      <MemoryRouter>
        <V2DeliveryTable targets={targets} />
      </MemoryRouter>
    </MantineProvider>,
  );
}

describe('V2DeliveryTable', () => {
  it('shows the state and bytes of each v2 target on its way, and how many installed', () => {
    renderTable([
      target('v1-gw'),
      target('v2-a', { protocol: 2, state: 'downloading', bytes: 16 * MiB, size: 64 * MiB, reason: null }),
      target('v2-b', { protocol: 2, state: 'rejected', bytes: 0, size: 64 * MiB, reason: 'signing key k1 is not trusted' }),
      target('v2-c', { protocol: 2, state: 'succeeded', bytes: 64 * MiB, size: 64 * MiB, reason: null }),
    ]);
    expect(screen.getByTestId('v2-target-v2-a')).toHaveTextContent(/downloading.*16(\.0)? MiB of 64(\.0)? MiB/);
    expect(screen.getByTestId('v2-target-v2-b')).toHaveTextContent('rejected: signing key k1 is not trusted');
    expect(screen.queryByTestId('v2-target-v2-c')).toBeNull();
    expect(screen.queryByTestId('v2-target-v1-gw')).toBeNull();
    expect(screen.getByText(/1 of 3 protocol-v2 targets installed/)).toBeInTheDocument();
  });

  it('renders nothing for a deployment without v2 targets', () => {
    const { container } = renderTable([target('v1-gw')]);
    expect(container.querySelector('table')).toBeNull();
  });
});
