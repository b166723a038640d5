// Charts of the console, drawn with uPlot (served by the gateway from its own node_modules).
import uPlot from '/vendor/uPlot.esm.js';

/** A reads/min sparkline in `el`; returns update(values). */
export function sparkline(el) {
  const plot = new uPlot(
    {
      width: 160,
      height: 36,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [{}, { stroke: '#1565c0', fill: 'rgba(21,101,192,.15)', width: 1 }],
    },
    [[], []],
    el,
  );
  return (values) => plot.setData([values.map((_v, i) => i), values]);
}

/** An RSSI histogram with the antenna's floor as a red line; returns update(histogram, floorDbm). */
export function rssiHistogram(el, rssi) {
  const x = Array.from({ length: rssi.bins }, (_v, i) => rssi.minDbm + (i + 0.5) * rssi.binDb);
  let floor = null;
  const drawFloor = (u) => {
    if (floor === null) return;
    const px = u.valToPos(floor, 'x', true);
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = '#c62828';
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(px, bbox.top);
    ctx.lineTo(px, bbox.top + bbox.height);
    ctx.stroke();
    ctx.restore();
  };
  const plot = new uPlot(
    {
      width: 360,
      height: 180,
      legend: { show: false },
      scales: {
        x: { time: false, range: [rssi.minDbm, rssi.minDbm + rssi.bins * rssi.binDb] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        { label: 'RSSI dBm', size: 40 },
        { label: 'reads', size: 50 },
      ],
      series: [
        {},
        {
          fill: '#42a5f5',
          stroke: '#1e88e5',
          paths: uPlot.paths.bars({ size: [0.9, 40] }),
          points: { show: false },
        },
      ],
      hooks: { draw: [drawFloor] },
    },
    [x, x.map(() => 0)],
    el,
  );
  return (histogram, floorDbm) => {
    floor = floorDbm ?? null;
    plot.setData([x, histogram]);
  };
}

/** Outbox depth, oldest undelivered age and runway over the last hour; returns update(series). */
export function outboxChart(el) {
  const plot = new uPlot(
    {
      width: Math.min(900, el.clientWidth || 900),
      height: 260,
      // Always the last hour, however few points there are yet.
      scales: {
        x: { range: (_u, _min, max) => [max - 3600, max + 10] },
        n: { range: (_u, _min, max) => [0, Math.max(10, max)] },
        s: { range: (_u, _min, max) => [0, Math.max(60, max ?? 0)] },
      },
      axes: [
        {},
        { scale: 'n', label: 'events' },
        { scale: 's', side: 1, label: 'seconds', grid: { show: false } },
      ],
      series: [
        {},
        { label: 'depth', scale: 'n', stroke: '#1565c0', width: 2 },
        { label: 'oldest age (s)', scale: 's', stroke: '#b26a00' },
        { label: 'runway (s)', scale: 's', stroke: '#c62828', dash: [4, 4] },
      ],
    },
    [[], [], [], []],
    el,
  );
  return (s) => plot.setData([s.t, s.depth, s.oldestAgeS, s.runwayS]);
}
