/**
 * Replaces each `%name%` with the app setting `name`, as the host's name resolver does for binding
 * properties and host.json. A setting that is not set is an error naming `where` (the real host
 * refuses to index the function).
 */
export function resolveSettings(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined)
      throw new Error(`${where}: '%${name}%' does not resolve to a value (app setting ${name} is not set)`);
    return value;
  });
}
