import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import { ShellPage } from './shell-page';

describe('ShellPage', () => {
  it('names the product', () => {
    render(
      <MantineProvider>
        <ShellPage />
      </MantineProvider>,
    );
    expect(screen.getByRole('heading', { name: 'Upgrade Manager' })).toBeInTheDocument();
  });
});
