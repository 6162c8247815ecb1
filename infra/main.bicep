// partner-of-record on Azure Functions Flex Consumption (Node 20) with Durable Functions on the
// same storage account (the Azure Storage backend, as the local host emulates). The app reaches
// storage, telemetry and its Key Vault with its system-assigned identity: no account key, and no
// secret in plain sight in the app settings (each is a Key Vault reference). Deploy with:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json \
//     -p graphClientId=<app> consentSigningKey=<32+ chars> secretsKey=<base64 of 32 random bytes> \
//     graphClientSecret=<secret> [adminApiKey=<24+ chars>] ...
// then publish the built app (npm run build) with `func azure functionapp publish` or zip deploy.
// README.md "Deploy to Azure" has the whole procedure; test/unit/config/bicepSettings.test.ts holds
// the app settings below to the app's settings schema (no Bicep compiler runs in this repo's CI).

@description('Short prefix for every resource name (letters and digits).')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

@description('Incentive program in force at approval (a bundled program id).')
param incentiveProgram string = 'fy20-osu-milestones'

@description('How old a PoE signature may be, in months.')
param poeMaxAgeMonths int = 12

@description('ISO 8601: time after a rejection during which a dispute may be filed.')
param disputeWindow string = 'P30D'

@description('ISO 8601: time the partner has to answer a reviewer\'s request for action.')
param partnerActionWindow string = 'P7D'

@description('ISO 8601: time to submit the proof of execution before a claim expires.')
param poeDeadline string = 'P30D'

@description('ISO 8601: time the customer has to refuse before approval.')
param refusalWindow string = 'P14D'

@description('Where customers reach the service (links in emails); defaults to the app URL.')
param publicBaseUrl string = ''

@description('HMAC key of consent links (at least 32 characters).')
@secure()
@minLength(32)
param consentSigningKey string

@description('The consent signing key before the last rotation: links it signed stay valid until they expire. Empty = none.')
@secure()
param consentSigningKeyPrevious string = ''

@description('Opens /api/v1/admin (partner onboarding). Empty = administration closed.')
@secure()
param adminApiKey string = ''

@description('An existing Azure Communication Services connection string for customer emails. Empty = the Communication Service this template creates.')
@secure()
param acsConnectionString string = ''

@description('Sender address of customer emails, on a domain linked to the Communication Service. Empty = DoNotReply@ the email domain.')
param emailFrom string = ''

@description('A custom email domain (such as mail.example.com) to send from; empty = an Azure-managed domain. ACS links only a verified domain: see README.md.')
param emailDomainName string = ''

@description('Where the Communication Services keep their data at rest.')
param emailDataLocation string = 'United States'

@description('Reply-To of customer emails: the mailbox whose replies reach the inbound-email queue.')
param emailReplyTo string = ''

@description('The GDAP multi-tenant app that reads usage reports in customer tenants.')
param graphClientId string

@description('The GDAP app\'s client secret (kept in Key Vault).')
@secure()
param graphClientSecret string

@description('AES-256 key (base64 of 32 random bytes) sealing stored secrets such as PAL identities\' client secrets.')
@secure()
param secretsKey string

@description('ISO 8601 offsets after a DPOR request when the customer is reminded, comma-separated.')
param dporReminders string = 'P7D,P14D'

@description('ISO 8601: time a DPOR request waits for the customer before it expires.')
param dporRequestWindow string = 'P30D'

@description('NCRONTAB (UTC) of the weekly PAL re-verification.')
param palVerifySchedule string = '0 0 5 * * 1'

@description('The partner\'s Partner Center app (app-only), for CSP imports; empty = imports unavailable.')
param partnerCenterClientId string = ''

@description('The Partner Center app\'s client secret (kept in Key Vault); empty = none.')
@secure()
param partnerCenterClientSecret string = ''

@description('The largest request body the partner API takes, in bytes (413 beyond): 15 MiB fits a 10 MiB PoE in base64.')
@minValue(1024)
@maxValue(104857600)
param maxRequestBytes int = 15728640

@description('Each partner\'s sustained requests a second on one instance (429 with Retry-After beyond); 0 = no limit.')
@minValue(0)
param partnerRateLimitPerSecond int = 100

@description('How many requests a partner may send at once before that rate applies.')
@minValue(1)
param partnerRateLimitBurst int = 1000

@description('The tenant where the Partner Center app signs in (the partner\'s own tenant).')
param partnerCenterTenantId string = ''

@description('Maximum instances the app may scale out to.')
param maximumInstanceCount int = 100

var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower('${name}${suffix}')
var deploymentContainer = 'app-package'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(storageName, 24)
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs-${suffix}'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id, DisableLocalAuth: true }
}

// Customer emails: an Email Communication Service with one domain (Azure-managed, or the custom
// one named), linked to the Communication Service the app sends through.
resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: '${name}-email-${suffix}'
  location: 'global'
  properties: { dataLocation: emailDataLocation }
}

resource emailDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: empty(emailDomainName) ? 'AzureManagedDomain' : emailDomainName
  location: 'global'
  properties: {
    domainManagement: empty(emailDomainName) ? 'AzureManaged' : 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: '${name}-acs-${suffix}'
  location: 'global'
  properties: { dataLocation: emailDataLocation, linkedDomains: [emailDomain.id] }
}

// Every domain has the DoNotReply sender from the start.
var emailSender = empty(emailFrom) ? 'DoNotReply@${emailDomain.properties.mailFromSenderDomain}' : emailFrom

// The app's secrets. Access is by RBAC only (no access policies). A deleted vault or secret is kept
// 90 days and cannot be purged early, so a key that sealed stored data (SECRETS_KEY) deleted by
// mistake can be recovered. Key Vault names allow 3-24 letters, digits and hyphens.
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${name}-kv-${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

// One secret per secret app setting, fed only by a @secure() parameter or a resource's listKeys().
// Key Vault secret names allow letters, digits and hyphens: the setting's name, hyphenated. A secret
// whose parameter is optional exists only when it is given; otherwise its setting is empty, which
// the app reads as unset.
resource consentSigningKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'CONSENT-SIGNING-KEY'
  properties: { value: consentSigningKey }
}

resource consentSigningKeyPreviousSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(consentSigningKeyPrevious)) {
  parent: vault
  name: 'CONSENT-SIGNING-KEY-PREVIOUS'
  properties: { value: consentSigningKeyPrevious }
}

resource adminApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(adminApiKey)) {
  parent: vault
  name: 'ADMIN-API-KEY'
  properties: { value: adminApiKey }
}

resource secretsKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'SECRETS-KEY'
  properties: { value: secretsKey }
}

resource graphClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'GRAPH-CLIENT-SECRET'
  properties: { value: graphClientSecret }
}

resource partnerCenterClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(partnerCenterClientSecret)) {
  parent: vault
  name: 'PARTNER-CENTER-CLIENT-SECRET'
  properties: { value: partnerCenterClientSecret }
}

// The app's email code takes a connection string only (src/integrations/email/acsSender.ts), so the
// Communication Service's key is kept here rather than granting the identity a role on ACS.
resource acsConnectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'ACS-CONNECTION-STRING'
  properties: {
    value: empty(acsConnectionString) ? communication.listKeys().primaryConnectionString : acsConnectionString
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${name}-app-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '20' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // Every secret is a Key Vault reference (versionless: the platform picks up a new version of
      // the secret within a day, or at once on a restart), resolved with the app's identity.
      appSettings: [
        // Identity-based connections: no account keys in settings. The app's own table, queue and
        // blob clients read the same AzureWebJobsStorage__accountName (src/config/settings.ts).
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
        { name: 'INCENTIVE_PROGRAM', value: incentiveProgram }
        { name: 'POE_MAX_AGE_MONTHS', value: string(poeMaxAgeMonths) }
        { name: 'LIFECYCLE_DISPUTE_WINDOW', value: disputeWindow }
        { name: 'LIFECYCLE_PARTNER_ACTION_WINDOW', value: partnerActionWindow }
        { name: 'LIFECYCLE_POE_DEADLINE', value: poeDeadline }
        { name: 'LIFECYCLE_REFUSAL_WINDOW', value: refusalWindow }
        { name: 'PUBLIC_BASE_URL', value: empty(publicBaseUrl) ? 'https://${name}-app-${suffix}.azurewebsites.net' : publicBaseUrl }
        { name: 'CONSENT_SIGNING_KEY', value: '@Microsoft.KeyVault(SecretUri=${consentSigningKeySecret.properties.secretUri})' }
        { name: 'CONSENT_SIGNING_KEY_PREVIOUS', value: empty(consentSigningKeyPrevious) ? '' : '@Microsoft.KeyVault(SecretUri=${consentSigningKeyPreviousSecret.properties.secretUri})' }
        { name: 'ADMIN_API_KEY', value: empty(adminApiKey) ? '' : '@Microsoft.KeyVault(SecretUri=${adminApiKeySecret.properties.secretUri})' }
        { name: 'EMAIL_TRANSPORT', value: 'acs' }
        { name: 'ACS_CONNECTION_STRING', value: '@Microsoft.KeyVault(SecretUri=${acsConnectionStringSecret.properties.secretUri})' }
        { name: 'EMAIL_FROM', value: emailSender }
        { name: 'EMAIL_REPLY_TO', value: emailReplyTo }
        // Read by host.json (%DURABLE_HUB_NAME%) and the queue triggers (%…_QUEUE%).
        { name: 'DURABLE_HUB_NAME', value: 'PartnerOfRecord' }
        { name: 'INBOUND_EMAIL_QUEUE', value: 'inbound-email' }
        { name: 'PARTNER_WEBHOOKS_QUEUE', value: 'partner-webhooks' }
        { name: 'USAGE_POLL_QUEUE', value: 'usage-poll' }
        { name: 'USAGE_POLL_SCHEDULE', value: '0 0 6 * * *' }
        { name: 'USAGE_PROVIDER', value: 'graph' }
        { name: 'USAGE_REPORT_PERIOD', value: 'D30' }
        { name: 'GRAPH_CLIENT_ID', value: graphClientId }
        { name: 'GRAPH_CLIENT_SECRET', value: '@Microsoft.KeyVault(SecretUri=${graphClientSecretSecret.properties.secretUri})' }
        { name: 'SECRETS_KEY', value: '@Microsoft.KeyVault(SecretUri=${secretsKeySecret.properties.secretUri})' }
        { name: 'DPOR_REMINDERS', value: dporReminders }
        { name: 'DPOR_REQUEST_WINDOW', value: dporRequestWindow }
        { name: 'PAL_VERIFY_SCHEDULE', value: palVerifySchedule }
        { name: 'PAL_VERIFY_QUEUE', value: 'pal-verify' }
        { name: 'CSP_IMPORT_SCHEDULE', value: '0 0 4 * * *' }
        { name: 'PCS_SNAPSHOT_SCHEDULE', value: '0 30 6 * * *' }
        { name: 'HISTORY_PURGE_SCHEDULE', value: '0 30 3 * * *' }
        { name: 'PARTNER_CENTER_CLIENT_ID', value: partnerCenterClientId }
        { name: 'PARTNER_CENTER_CLIENT_SECRET', value: empty(partnerCenterClientSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${partnerCenterClientSecretSecret.properties.secretUri})' }
        { name: 'PARTNER_CENTER_TENANT_ID', value: partnerCenterTenantId }
        { name: 'MAX_REQUEST_BYTES', value: string(maxRequestBytes) }
        { name: 'PARTNER_RATE_LIMIT_PER_SECOND', value: string(partnerRateLimitPerSecond) }
        { name: 'PARTNER_RATE_LIMIT_BURST', value: string(partnerRateLimitBurst) }
      ]
    }
  }
}

// The app's identity needs data-plane access to blobs (deployment, PoE documents), queues and
// tables (Durable Functions and the app's own state), to publish telemetry, and to read its
// secrets (the Key Vault references above resolve with it).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]: {
    name: guid(storage.id, app.id, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: app.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource telemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, app.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionAppName string = app.name
output functionAppUrl string = 'https://${app.properties.defaultHostName}'
output storageAccountName string = storage.name
output keyVaultName string = vault.name
output emailSenderAddress string = emailSender
