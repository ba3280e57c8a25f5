import { expect } from 'chai';
import { PrometheusMetrics } from '../../../interfaces/metrics/prometheus-metrics.js';
import { sample } from '../../support/metrics.js';

describe('PrometheusMetrics', () => {
  const metrics = () => new PrometheusMetrics({ stats: () => ({ connections: 0, attachedUsers: 0 }), queueDepth: () => Promise.resolve(0) });

  it('counts answered requests by op and status across scrapes, and times them by op', async () => {
    const observer = metrics();
    observer.requestAnswered('send', 'ok', 0.002);
    observer.requestAnswered('send', 'ok', 0.02);
    observer.requestAnswered('send', 'fail', 0.001);
    let scraped = await observer.registry.metrics();
    expect(sample(scraped, 'parley_requests_total{op="send",status="ok"}')).to.equal(2);
    expect(sample(scraped, 'parley_requests_total{op="send",status="fail"}')).to.equal(1);
    expect(sample(scraped, 'parley_request_duration_seconds_count{op="send"}')).to.equal(3);
    expect(sample(scraped, 'parley_request_duration_seconds_bucket{le="0.005",op="send"}')).to.equal(2);

    // A second scrape adds what came since, and repeats the rest.
    observer.requestAnswered('send', 'ok', 0.002);
    observer.requestAnswered('ack', 'ok', 0.001);
    scraped = await observer.registry.metrics();
    expect(sample(scraped, 'parley_requests_total{op="send",status="ok"}')).to.equal(3);
    expect(sample(scraped, 'parley_requests_total{op="send",status="fail"}')).to.equal(1);
    expect(sample(scraped, 'parley_requests_total{op="ack",status="ok"}')).to.equal(1);
    expect(sample(scraped, 'parley_request_duration_seconds_count{op="send"}')).to.equal(4);
    scraped = await observer.registry.metrics();
    expect(sample(scraped, 'parley_requests_total{op="send",status="ok"}')).to.equal(3);
  });
});
