import { createRepositories } from '#adapters/dynamodb/index.js';
import { createTestTable } from '#test-support/dynamodb.js';
import { inMemoryRepositories } from '#test-support/fakes/index.js';
import { describeRepositoryContract } from '#test-support/repository-contract.js';

describeRepositoryContract('DynamoDB Local', async () => {
  const table = await createTestTable('contract');
  return { repositories: createRepositories(table.client, table.tableName), close: () => table.drop() };
});

describeRepositoryContract('in memory', async () => ({
  repositories: inMemoryRepositories(),
  close: async () => undefined,
}));
