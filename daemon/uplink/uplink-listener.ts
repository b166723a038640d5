/**
 * The uplink's subscriptions, carried from one mqtt.js client to the next (each connection has a
 * fresh client and a clean session, so the broker forgets them with the connection): subscribed
 * after each CONNACK, changed in place while connected, and what arrives handed to the sink.
 *
 * A payload over every subscription's bound is dropped here, before anything reads it. mqtt.js
 * has buffered the whole PUBLISH by then (its parser takes a packet whole, up to the protocol's
 * 256 MB): under MQTT 3.1.1 only the broker's own message size limit bounds that; under MQTT 5
 * the uplink tells the broker its Maximum Packet Size in CONNECT (client-options.ts), and a
 * broker that honours it never sends more.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { InboundSink, UplinkSubscription } from './uplink.js';

export class UplinkListener {
  private subscriptions: readonly UplinkSubscription[] = [];
  private sink: InboundSink | undefined;
  private maxBytes = 0;
  private client: MqttClient | undefined;

  constructor(
    private readonly log: Logger,
    /** The uplink's own bound (uplink.maxInboundBytes), whatever the subscriptions take. */
    private readonly ceiling = Number.POSITIVE_INFINITY,
  ) {}

  /** The largest payload any subscription takes (0 with none). */
  get largest(): number {
    return this.maxBytes;
  }

  set(subscriptions: readonly UplinkSubscription[], sink: InboundSink): void {
    const before = new Set(this.subscriptions.map((s) => s.filter));
    this.subscriptions = [...subscriptions];
    this.sink = sink;
    this.maxBytes = Math.min(
      this.ceiling,
      subscriptions.reduce((max, s) => Math.max(max, s.maxBytes), 0),
    );
    const client = this.client;
    if (!client?.connected) return;
    const after = new Set(subscriptions.map((s) => s.filter));
    const gone = [...before].filter((filter) => !after.has(filter));
    if (gone.length > 0)
      client.unsubscribe(gone, (err) => {
        if (err) this.log.debug({ filters: gone, err: err.message }, 'uplink could not unsubscribe');
      });
    for (const filter of after) if (!before.has(filter)) this.subscribe(client, filter);
  }

  /** A connection is up (its CONNACK came): subscribe on it and take its messages. */
  attach(client: MqttClient): void {
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      if (client === this.client) this.take(topic, payload, packet);
    });
    for (const { filter } of this.subscriptions) this.subscribe(client, filter);
  }

  /** The connection is gone: nothing more is taken from it. */
  detach(client: MqttClient): void {
    if (this.client === client) this.client = undefined;
  }

  /** One SUBSCRIBE per filter, so a refusal names its filter. */
  private subscribe(client: MqttClient, filter: string): void {
    client.subscribe(filter, { qos: 1 }, (err) => {
      if (!err || client !== this.client || !client.connected) return;
      const code = (err as { code?: unknown }).code;
      this.log.warn(
        { filter, ...(typeof code === 'number' ? { code } : {}), err: err.message },
        'the broker refused a subscription of the uplink (its access control may not allow it)',
      );
    });
  }

  private take(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const sink = this.sink;
    if (!sink) return;
    if (payload.length > this.maxBytes) {
      sink.tooLarge(topic, payload.length);
      return;
    }
    const props = packet.properties;
    sink.message({
      topic,
      payload,
      retain: packet.retain === true,
      ...(typeof props?.responseTopic === 'string' ? { responseTopic: props.responseTopic } : {}),
      ...(Buffer.isBuffer(props?.correlationData) ? { correlationData: props.correlationData } : {}),
    });
  }
}
