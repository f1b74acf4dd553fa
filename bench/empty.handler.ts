/** The smallest Lambda handler: the floor that the functions' bundle sizes and import times are read against. */
export const handler = async () => ({ statusCode: 204 });
