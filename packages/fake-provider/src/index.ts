export { startFakeProvider } from './fake-provider';
export type { FakeProvider, FakeProviderOptions, RecordedRequest, GenerationRecord } from './fake-provider';
export { faults } from './fake-faults';
export type { Fault, FaultMatch, FakeFlavor } from './fake-faults';
export { FAKE_OPENROUTER_PRICES, countPromptTokens, fakeAnswerText, fakeAnswerTokens } from './fake-completions';
export type { Behaviour, FakePrice } from './fake-completions';
