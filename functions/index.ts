/**
 * The app entry (package.json `main`): importing a function's file registers it with the Azure
 * Functions host. Later features add their files here.
 */
import "./http/health";
