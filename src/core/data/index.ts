/** CIFAR-10 data: the streaming parser, the archive reader, the loader and the parse benchmark. */
export { GrowingDataset, CLASS_NAMES, RECORD_BYTES, RECORD_PIXELS, type ImageSource } from './dataset';
export { parseCifarStream, sniffFormat, checkSize, type CifarBatch, type ParseOptions, type ParseProgress } from './cifarStream';
export { CifarFormatError, CifarSourceError } from './errors';
export { readArchive, splitOfName, type ArchiveMember, type Split } from './tarball';
export { SubsetSelector } from './subset';
export {
  loadCifar, readMembers, blobInput, urlInput, planLanes,
  type CifarInput, type CifarMember, type CifarLoad, type CifarSource, type LoadOptions, type LoadPhase, type LoadProgress, type SplitProgress,
} from './load';
export { parseManifest, type CifarManifest, type CifarManifestFile, type CifarServerState, type CifarServerStatus } from './manifest';
export {
  sampleInputs, urlSampleReader, readSampleManifest, readSampleSplit, decodeSampleSplit, parseSampleManifest,
  type SampleManifest, type SampleReader, type SampleSplit,
} from './sample';
export { SAMPLE } from './sampleInfo';
export { measureParseThroughput, type ParseThroughput } from './bench';
