// `kerno trace`: streams of individual kernel events, filtered in the kernel (see bpf/trace.h).
export * from './filters.js';
export * from './records.js';
export * from './session.js';
export * from './top.js';
