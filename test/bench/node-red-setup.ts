/**
 * What the real Node-RED side of the PTY bench runs, as pure values: the pinned versions, the flow
 * (serial in -> function -> mqtt out), the settings file that runs it headless, and the start-up
 * lines of its log that say the flow is ready for the first line. node-red.ts starts it.
 */

/** Pinned so that every run of the bench measures the same Node-RED (4.x: 5.x needs Node 22). */
export const NODE_RED_VERSION = '4.1.8';
export const SERIALPORT_NODE_VERSION = '2.0.3';

/** The topic the flow publishes each line on. */
export const NODE_RED_TOPIC = 'readpoint/v1/bench/node-red/lines';

/** The function node's body: the same work as serial-flow.ts's function node. */
export const TRIM_FUNCTION = 'msg.payload = msg.payload.trim();\nreturn msg;';

const TAB = 'bench-tab';
const SERIAL = 'bench-serial-port';
const SERIAL_IN = 'bench-serial-in';
const FUNCTION = 'bench-trim';
const BROKER = 'bench-broker';
const MQTT_OUT = 'bench-mqtt-out';

export interface FlowOptions {
  /** The PTY end the serial in node opens. */
  readonly serialPath: string;
  /** mqtt://host:port of the bench's Mosquitto. */
  readonly brokerUrl: string;
  readonly clientId: string;
}

/**
 * The flow as Node-RED's editor would save it: a serial port splitting on CR with string output
 * (the CR stays on the end of each message, as the node sends it), a function node trimming the
 * payload, an MQTT out node publishing at QoS 1, not retained, over MQTT 3.1.1.
 */
export function benchFlow(o: FlowOptions): Record<string, unknown>[] {
  const url = new URL(o.brokerUrl);
  if (url.protocol !== 'mqtt:')
    throw new TypeError(`the Node-RED flow takes an mqtt:// URL, not ${o.brokerUrl}`);
  return [
    { id: TAB, type: 'tab', label: 'readpoint bench', disabled: false },
    {
      id: SERIAL,
      type: 'serial-port',
      serialport: o.serialPath,
      serialbaud: '115200',
      databits: '8',
      parity: 'none',
      stopbits: '1',
      waitfor: '',
      dtr: 'none',
      rts: 'none',
      cts: 'none',
      dsr: 'none',
      // Two characters, backslash and r, as the editor stores them; the node turns them into CR.
      newline: '\\r',
      bin: 'false',
      out: 'char',
      addchar: '',
      responsetimeout: '10000',
    },
    {
      id: SERIAL_IN,
      type: 'serial in',
      z: TAB,
      name: '',
      serial: SERIAL,
      x: 100,
      y: 80,
      wires: [[FUNCTION]],
    },
    {
      id: FUNCTION,
      type: 'function',
      z: TAB,
      name: 'trim',
      func: TRIM_FUNCTION,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 260,
      y: 80,
      wires: [[MQTT_OUT]],
    },
    {
      id: BROKER,
      type: 'mqtt-broker',
      name: '',
      broker: url.hostname,
      port: url.port || '1883',
      clientid: o.clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
    },
    {
      id: MQTT_OUT,
      type: 'mqtt out',
      z: TAB,
      name: '',
      topic: NODE_RED_TOPIC,
      qos: '1',
      retain: 'false',
      broker: BROKER,
      x: 440,
      y: 80,
      wires: [],
    },
  ];
}

export interface SettingsOptions {
  readonly userDir: string;
  readonly flowFile: string;
}

/**
 * Node-RED's settings for the bench: headless (no editor, no admin API, no HTTP server at all),
 * no projects, no telemetry or update checks, nothing installed at run time, credentials not
 * encrypted (the flow has none), log in English at info level so that the start-up lines can be
 * watched for.
 */
export function benchSettings(o: SettingsOptions): Record<string, unknown> {
  return {
    userDir: o.userDir,
    flowFile: o.flowFile,
    credentialSecret: false,
    flowFilePretty: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    uiHost: '127.0.0.1',
    lang: 'en-US',
    editorTheme: { projects: { enabled: false }, tours: false },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    externalModules: {
      autoInstall: false,
      palette: { allowInstall: false },
      modules: { allowInstall: false },
    },
    functionExternalModules: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
}

/** The settings file's text: red.js require()s it. */
export function settingsModule(settings: Record<string, unknown>): string {
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}

/** The start-up lines Node-RED logs before the flow can take the first line. */
export interface StartupSeen {
  flowsStarted: boolean;
  serialOpen: boolean;
  brokerConnected: boolean;
  /** The first error line, if any: the bench stops there. */
  error?: string;
}

export function startupSeen(): StartupSeen {
  return { flowsStarted: false, serialOpen: false, brokerConnected: false };
}

/** Notes what one line of Node-RED's console log says about its start-up. */
export function noteStartupLine(seen: StartupSeen, line: string, serialPath: string): void {
  if (/\[error\]/.test(line) && seen.error === undefined) seen.error = line.trim();
  if (/\[info\] Started flows$/.test(line.trim())) seen.flowsStarted = true;
  if (line.includes(`serial port ${serialPath} opened`)) seen.serialOpen = true;
  if (/\[info\] \[mqtt-broker:[^\]]*\] Connected to broker/.test(line)) seen.brokerConnected = true;
}

export function ready(seen: StartupSeen): boolean {
  return seen.flowsStarted && seen.serialOpen && seen.brokerConnected;
}
