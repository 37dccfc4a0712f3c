const { requireServices, database, mqttBroker } = require('../../../tools/testing/services-reachable.cjs');

module.exports = requireServices([database('database'), mqttBroker('MQTT broker')]);
