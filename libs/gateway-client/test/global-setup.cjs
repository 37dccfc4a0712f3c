const { requireServices, mqttBroker } = require('../../../tools/testing/services-reachable.cjs');

module.exports = requireServices([mqttBroker('the MQTT broker')]);
