/** How the Score page names the API's solution areas and metrics (an unknown ID shows as it is). */
export const areaNames: Record<string, string> = {
  "modern-work": "Modern Work",
  security: "Security",
  "business-applications": "Business Applications",
  "data-ai": "Data & AI",
  infrastructure: "Infrastructure",
  "digital-app-innovation": "Digital & App Innovation",
};

export const metricNames: Record<string, string> = {
  "net-customer-adds": "Net customer adds",
  "intermediate-certifications": "Intermediate certifications",
  "advanced-certifications": "Advanced certifications",
  "usage-growth": "Usage growth",
  deployments: "Deployments",
};

export const areaName = (area: string): string => areaNames[area] ?? area;
export const metricName = (metric: string): string => metricNames[metric] ?? metric;

/** The points an area needs (with every metric above 0) to qualify. */
export const qualifyingPoints = 70;
