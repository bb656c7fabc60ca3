/** Download the live and imported runs' metrics as CSV or JSON: the formats of core/metricsFile.ts. */
import { encodeMetricsCsv, encodeMetricsJson } from '../../../core/metricsFile';
import { downloadText } from '../../lib/download';
import type { RunRecord } from '../../lib/runRecord';

/** @param configText the URL text of the current config, kept in the JSON export */
export function MetricsDownload({ runs, configText }: { runs: readonly RunRecord[]; configText: string }) {
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={runs.length === 0}
        onClick={() => downloadText(`wrn-metrics-${stamp()}.csv`, encodeMetricsCsv(runs), 'text/csv')}
      >
        Download CSV
      </button>
      <button
        type="button"
        className="secondary"
        disabled={runs.length === 0}
        onClick={() => downloadText(`wrn-metrics-${stamp()}.json`, encodeMetricsJson(runs, configText, new Date()), 'application/json')}
      >
        Download JSON
      </button>
    </>
  );
}
