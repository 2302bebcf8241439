export { isCode, type FileHandle, type FileStat, type FileSystem, type OpenFlag } from './file-system.ts';
export { NodeFileSystem, nodeFileSystem } from './node-file-system.ts';
export { MemoryFileSystem, type MemoryFileSystemOptions, type CrashOptions } from './memory-file-system.ts';
export { FaultyFileSystem, flipByte, cutTail, type FaultRule, type FsOp, type ActiveFault } from './faulty-file-system.ts';
export { writeFileAtomic, type AtomicWriteOptions } from './atomic.ts';
export { fsError } from './fs-error.ts';
