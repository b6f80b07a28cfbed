// Non-interactive renderers. The Ink UI lives in ./ink/run-doctor-ui.js and is imported on its own (lazily by
// the CLI) so JSON/plain runs never load React, Ink and its layout engine.
export { colorEnabled, type ColorInputs } from './color.js';
export { renderJson } from './json.js';
export { renderMarkdown, renderMarkdownAi } from './md.js';
export { renderAiSection } from './plain/ai.js';
export { renderPlain, renderQuietLine, type PlainOptions } from './plain/report.js';
export { toViewModel, type ViewModel, type ViewModelOptions } from './view-model.js';
export type { LiveCollector, LiveCollectorState } from './live-model.js';
