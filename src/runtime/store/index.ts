export { AppendLog, type AppendLogOptions } from './append-log.ts';
export { MemoryAppendLog } from './memory-append-log.ts';
export type { RecordLog, RecordLogStats, GroupCommitOptions } from './group-commit-log.ts';
export { FilePeerStore, MemoryPeerStore, type PeerRecord, type PeerStore, type PeerStoreStats, type FilePeerStoreOptions } from './peer-store.ts';
export { dataDirLayout, controlSocketPath, defaultDataDir, prepareDataDir, lockDataDir, DataDirLock, type DataDirLayout } from './data-dir.ts';
export { exportCsv, csvCells, CSV_COLUMNS, type CsvTransactionRow, type CsvFieldValue, type CsvExportResult, type CsvColumn } from './csv-export.ts';
export { parseCsv, readCsvRows } from './csv-read.ts';
