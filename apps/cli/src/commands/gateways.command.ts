import { GATEWAY_SORT_FIELDS, type ListGatewaysQueryDto, SORT_ORDERS, UPGRADE_STATUS_FILTERS } from '@upgrade-manager/dto';
import { type Command, Option } from 'commander';
import { type CliIo, contextOf } from '../cli-io';
import { note, printJson, printTable } from '../output';
import { positiveInteger, nonNegativeInteger } from './option-parsers';

interface GatewayListOptions extends Pick<ListGatewaysQueryDto, 'version' | 'upgradeStatus' | 'search' | 'sort' | 'order' | 'limit' | 'offset'> {
  company?: string;
  online?: boolean;
}

export function registerGatewayCommands(program: Command, io: CliIo): void {
  const gateways = program.command('gateways').description('gateways of your companies');

  gateways
    .command('list')
    .description('one page of gateways matching the filters')
    .option('--company <companyId>', 'one company (super users; others always see their own)')
    .option('--version <version>', 'gateways reporting this version')
    .addOption(new Option('--online', 'online gateways only'))
    .addOption(new Option('--offline', 'offline gateways only').conflicts('online').implies({ online: false }))
    .addOption(new Option('--upgrade-status <status>', 'state of the latest upgrade').choices(UPGRADE_STATUS_FILTERS))
    .option('--search <text>', 'part of the gateway id or name')
    .addOption(new Option('--sort <field>').choices(GATEWAY_SORT_FIELDS))
    .addOption(new Option('--order <order>').choices(SORT_ORDERS))
    .option('--limit <n>', 'page size', positiveInteger)
    .option('--offset <n>', 'gateways to skip', nonNegativeInteger)
    .action(async (options: GatewayListOptions, command: Command) => {
      const { api, output } = contextOf(command, io);
      const { company, ...filters } = options;
      const list = await api.listGateways({ ...filters, companyId: company });
      if (output.json) return printJson(output, list);
      printTable(
        output,
        ['GATEWAY', 'COMPANY', 'VERSION', 'ONLINE', 'UPGRADE', 'LAST SEEN'],
        list.items.map((gateway) => [
          gateway.gatewayId,
          gateway.companyId,
          gateway.version,
          gateway.online ? 'yes' : 'no',
          gateway.upgrade ? `${gateway.upgrade.version} ${gateway.upgrade.status}` : '',
          gateway.lastSeenAt,
        ]),
      );
      note(output, `${list.items.length} of ${list.total} (offset ${list.offset})`);
    });
}
