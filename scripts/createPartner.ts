import { parseArgs } from "node:util";
import { effectiveSetting } from "./effectiveSettings";
import { ensureLocalSettings } from "./localSettings";
import { createPartner } from "./partnerClient";

/**
 * `npm run partner:create -- --name "Fabrikam" --location-id 4871234 [--url http://127.0.0.1:7071]`:
 * onboards a partner on a running service (admin key from ADMIN_API_KEY or local.settings.json) and
 * prints its API key, which is shown only this once.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: "string" },
      "location-id": { type: "string" },
      url: { type: "string", default: "http://127.0.0.1:7071" },
    },
  });
  if (!values.name || !values["location-id"])
    throw new Error(
      'usage: npm run partner:create -- --name "<name>" --location-id <digits> [--url <service url>]',
    );
  const adminKey = effectiveSetting("ADMIN_API_KEY", process.env, ensureLocalSettings().Values) ?? "";
  const created = await createPartner(values.url ?? "", adminKey, {
    name: values.name,
    partnerLocationId: values["location-id"],
  });
  console.log(JSON.stringify(created, null, 2));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
