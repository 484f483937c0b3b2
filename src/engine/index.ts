import { Engine, type EngineOptions } from './engine.ts';
import type { StorageEngine } from './api.ts';

export { Engine, type EngineOptions } from './engine.ts';
export * from './api.ts';

export async function openEngine(dir: string, opts: EngineOptions = {}): Promise<StorageEngine & Engine> {
  return Engine.open(dir, opts);
}
