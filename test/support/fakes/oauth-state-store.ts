import type { OAuthState } from '#domain/model.js';
import type { OAuthStateStore } from '#domain/ports.js';

/** OAuth states in memory, each consumed once, as the DynamoDB store's conditional delete does. */
export class InMemoryOAuthStateStore implements OAuthStateStore {
  readonly states = new Map<string, OAuthState>();
  /** Every verifier ever stored, to check none leaks anywhere. */
  readonly verifiers: string[] = [];
  async put(state: OAuthState): Promise<void> {
    this.states.set(state.stateHash, structuredClone(state));
    this.verifiers.push(state.codeVerifier);
  }
  async consume(stateHash: string): Promise<OAuthState | undefined> {
    const state = this.states.get(stateHash);
    this.states.delete(stateHash);
    return state;
  }
  async has(stateHash: string): Promise<boolean> {
    return this.states.has(stateHash);
  }
}
