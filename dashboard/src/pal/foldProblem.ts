import type { FormProblem } from "../ui/problems";

/**
 * Moves the API's errors whose paths are parts of one control onto that control, in words the
 * partner can act on: `customerTenantIds.3` is the fourth tenant of the text box, `header.2` the
 * second column of the file. `describe` answers the words for a path it takes, or null to leave
 * the path where it is. The messages land on `name`, so `<Field name>` shows them beside it.
 */
export function foldProblem(
  problem: FormProblem,
  name: string,
  describe: (path: string) => string | null,
): FormProblem {
  const fields: Record<string, string> = {};
  const add = (path: string, message: string) =>
    (fields[path] = fields[path] ? `${fields[path]}; ${message}` : message);
  for (const [path, message] of Object.entries(problem.fields)) {
    const words = describe(path);
    if (words === null) add(path, message);
    else add(name, `${words}: ${message}`);
  }
  return { ...problem, fields };
}
