/** The reply guard, the input topics and the filter matching the inbound link relies on. */
import { describe, expect, it } from 'vitest';
import { inputKindOf, topics } from '../../../daemon/contract/topics.js';
import { topicMatches } from '../../../daemon/uplink/topic-match.js';

const t = topics('readpoint/v1', 'site-t', 'gw-t');

describe('replyTopicAllowed', () => {
  it('allows plain topics of 1 to 4 valid levels below <base>/replies/', () => {
    expect(t.replies).toBe('readpoint/v1/site-t/gw-t/replies/');
    for (const tail of ['wms', 'wms-1/q.7', 'a/b/c/d'])
      expect([tail, t.replyTopicAllowed(`${t.replies}${tail}`)]).toEqual([tail, true]);
  });

  it('refuses contract topics, wildcards, empty or bad levels, depth, and other gateways', () => {
    const refused = [
      t.events('dock-1'),
      t.status,
      'readpoint/v1/site-t/gw-t/replies',
      'readpoint/v1/site-t/gw-t/replies/',
      `${t.replies}+`,
      `${t.replies}#`,
      `${t.replies}a//b`,
      `${t.replies}a/`,
      `${t.replies}a b`,
      `${t.replies}a/b/c/d/e`,
      `${t.replies}${'x'.repeat(65)}`,
      'readpoint/v1/site-t/gw-other/replies/wms',
      `/${t.replies}wms`,
    ];
    expect(refused.filter((topic) => t.replyTopicAllowed(topic))).toEqual([]);
  });
});

describe('input topics', () => {
  it('names the holds, context and query topics and tells their kind', () => {
    expect(t.inputs).toEqual({
      holds: ['readpoint/v1/site-t/holds', 'readpoint/v1/site-t/gw-t/holds'],
      context: 'readpoint/v1/site-t/gw-t/context/',
      query: 'readpoint/v1/site-t/gw-t/query/',
    });
    expect(inputKindOf(t.inputs, 'readpoint/v1/site-t/holds')).toBe('holds');
    expect(inputKindOf(t.inputs, 'readpoint/v1/site-t/gw-t/context/dock-1')).toBe('context');
    expect(inputKindOf(t.inputs, 'readpoint/v1/site-t/gw-t/query/where')).toBe('query');
    for (const topic of [
      'readpoint/v1/site-t/gw-t/context/',
      'readpoint/v1/site-t/gw-t/context/dock-1/x',
      'readpoint/v1/site-t/gw-t/context/+',
      'readpoint/v1/site-t/gw-t/query/#',
      'readpoint/v1/site-t/gw-t/events/dock-1',
      'readpoint/v1/site-t/gw-other/holds',
      'readpoint/v1/site-t/holds/x',
    ])
      expect([topic, inputKindOf(t.inputs, topic)]).toEqual([topic, undefined]);
  });
});

describe('topicMatches', () => {
  it('matches MQTT filters level by level', () => {
    const cases: [string, string, boolean][] = [
      ['a/b', 'a/b', true],
      ['a/+', 'a/b', true],
      ['a/+', 'a/b/c', false],
      ['a/+', 'a', false],
      ['a/#', 'a', true],
      ['a/#', 'a/b/c', true],
      ['#', 'a/b', true],
      ['#', '$SYS/x', false],
      ['+/b', '$SYS/b', false],
      ['a/b', 'a/b/c', false],
      ['a/+/c', 'a/x/c', true],
      ['a/+/c', 'a/x/d', false],
    ];
    expect(cases.map(([f, topic]) => topicMatches(f, topic))).toEqual(cases.map((c) => c[2]));
  });
});
