{{/* Names, labels and the merged configuration of each workload. */}}

{{- define "eda.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "eda.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one workload's objects: eda.resourceName (dict "root" $ "name" "user-service") */}}
{{- define "eda.resourceName" -}}
{{- printf "%s-%s" (include "eda.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that never change for a workload: its selector. */}}
{{- define "eda.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eda.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of a workload's objects: eda.labels (dict "root" $ "component" "user-service" "tier" "app").
app.kubernetes.io/version is the version of the image the component runs
(eda.componentVersion), as a label value. */}}
{{- define "eda.labels" -}}
{{ include "eda.selectorLabels" . }}
app.kubernetes.io/version: {{ include "eda.labelValue" (include "eda.componentVersion" .) | quote }}
app.kubernetes.io/part-of: {{ include "eda.name" .root }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
eda.dev/tier: {{ .tier | default "app" }}
{{- end -}}

{{/* Labels of objects that belong to the release as a whole (ConfigMap, Secrets, RBAC). */}}
{{- define "eda.commonLabels" -}}
app.kubernetes.io/name: {{ include "eda.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "eda.labelValue" (.Values.defaults.image.tag | default .Chart.AppVersion) | quote }}
app.kubernetes.io/part-of: {{ include "eda.name" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
eda.merge: overlay merged onto base, key by key, recursively for maps. Unlike
sprig's merge functions it keeps false, 0 and "" from the overlay.
*/}}
{{- define "eda.merge" -}}
{{- $base := deepCopy (.base | default dict) -}}
{{- range $key, $value := (.overlay | default dict) -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $base $key)) -}}
{{- $_ := set $base $key (include "eda.merge" (dict "base" (get $base $key) "overlay" $value) | fromYaml) -}}
{{- else -}}
{{- $_ := set $base $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $base -}}
{{- end -}}

{{/* The defaults every application workload starts from (without the subscriber block). */}}
{{- define "eda.workloadDefaults" -}}
{{- toYaml (omit .Values.defaults "subscriber") -}}
{{- end -}}

{{/*
The lists each layer of a workload's configuration adds to rather than replaces:
eda.appendLists (dict "merged" $merged "layers" (list .Values.defaults $entry))
*/}}
{{- define "eda.appendLists" -}}
{{- range $key := list "extraEnv" "extraVolumes" "extraVolumeMounts" -}}
{{- $all := list -}}
{{- range $layer := $.layers -}}
{{- $all = concat $all ((get ($layer | default dict) $key) | default list) -}}
{{- end -}}
{{- $_ := set $.merged $key $all -}}
{{- end -}}
{{- end -}}

{{/* A component's configuration: defaults overlaid with its entry. */}}
{{- define "eda.componentConfig" -}}
{{- $base := include "eda.workloadDefaults" .root | fromYaml -}}
{{- $merged := include "eda.merge" (dict "base" $base "overlay" .entry) | fromYaml -}}
{{- $_ := set $merged "enabled" (dig "enabled" true .entry) -}}
{{- include "eda.appendLists" (dict "merged" $merged "layers" (list .root.Values.defaults .entry)) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* A subscriber's configuration: defaults, then defaults.subscriber, then its entry. */}}
{{- define "eda.subscriberConfig" -}}
{{- $base := include "eda.workloadDefaults" .root | fromYaml -}}
{{- $base = include "eda.merge" (dict "base" $base "overlay" .root.Values.defaults.subscriber) | fromYaml -}}
{{- $merged := include "eda.merge" (dict "base" $base "overlay" .entry) | fromYaml -}}
{{- $_ := set $merged "enabled" (dig "enabled" true .entry) -}}
{{- $broker := .entry.broker | default .root.Values.routing.defaultBroker -}}
{{- $_ := set $merged "broker" $broker -}}
{{- include "eda.appendLists" (dict "merged" $merged "layers" (list .root.Values.defaults .root.Values.defaults.subscriber .entry)) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* The operator's configuration: defaults overlaid with the operator block. */}}
{{- define "eda.operatorConfig" -}}
{{- $base := include "eda.workloadDefaults" . | fromYaml -}}
{{- $merged := include "eda.merge" (dict "base" $base "overlay" .Values.operator) | fromYaml -}}
{{- include "eda.appendLists" (dict "merged" $merged "layers" (list .Values.defaults .Values.operator)) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* An application image reference: eda.image (dict "root" $ "image" $config.image).
repository@sha256:... when the image has a digest (the tag then pins nothing), else
repository:tag. */}}
{{- define "eda.image" -}}
{{- $repository := .image.repository -}}
{{- if .image.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" .image.registry) $repository -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The version an application image deploys, as EDA_SERVICE_VERSION says it: its
digest (sha256:...) when it is pinned by one, else its tag (the chart's appVersion
when none is set), as eda.image composes the reference.
eda.imageVersion (dict "root" $ "image" $config.image) */}}
{{- define "eda.imageVersion" -}}
{{- if .image.digest -}}
{{- .image.digest -}}
{{- else -}}
{{- .image.tag | default .root.Chart.AppVersion -}}
{{- end -}}
{{- end -}}

{{/* The version in an image reference string (repository[:tag][@digest]): the digest,
else the tag, else "latest". eda.imageRefVersion "rabbitmq:4.3.5-management" */}}
{{- define "eda.imageRefVersion" -}}
{{- if contains "@" . -}}
{{- splitList "@" . | last -}}
{{- else -}}
{{- $last := splitList "/" . | last -}}
{{- if contains ":" $last -}}{{- splitList ":" $last | last -}}{{- else -}}latest{{- end -}}
{{- end -}}
{{- end -}}

{{/* The version of the image one component runs, by its name: an API's, its
migration's (<name>-migrate), a subscriber's, the operator's or an infrastructure
image's; the release's for anything else. eda.componentVersion (dict "root" $ "component" "user-service") */}}
{{- define "eda.componentVersion" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $name := .component -}}
{{- $owner := trimSuffix "-migrate" $name -}}
{{- if hasKey $values.components $name -}}
{{- $c := include "eda.componentConfig" (dict "root" $root "entry" (index $values.components $name)) | fromYaml -}}
{{- include "eda.imageVersion" (dict "root" $root "image" $c.image) -}}
{{- else if and (ne $owner $name) (hasKey $values.components $owner) -}}
{{- $c := include "eda.componentConfig" (dict "root" $root "entry" (index $values.components $owner)) | fromYaml -}}
{{- include "eda.imageVersion" (dict "root" $root "image" $c.image) -}}
{{- else if hasKey $values.subscribers $name -}}
{{- $s := include "eda.subscriberConfig" (dict "root" $root "entry" (index $values.subscribers $name)) | fromYaml -}}
{{- include "eda.imageVersion" (dict "root" $root "image" $s.image) -}}
{{- else if eq $name "operator" -}}
{{- $o := include "eda.operatorConfig" $root | fromYaml -}}
{{- include "eda.imageVersion" (dict "root" $root "image" $o.image) -}}
{{- else if has $name (list "kafka" "rabbitmq" "mysql" "jaeger") -}}
{{- include "eda.imageRefVersion" (index $values.infrastructure $name).image -}}
{{- else -}}
{{- $values.defaults.image.tag | default $root.Chart.AppVersion -}}
{{- end -}}
{{- end -}}

{{/* A string as a valid label value: characters other than [A-Za-z0-9._-] become
"-", at most 63 characters, beginning and ending alphanumeric ("sha256:ab..." is
"sha256-ab..." cut to 63). eda.labelValue "1.2.3+build" */}}
{{- define "eda.labelValue" -}}
{{- $value := regexReplaceAll "[^A-Za-z0-9._-]" (toString .) "-" | trunc 63 -}}
{{- regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" $value "" -}}
{{- end -}}

{{/* One OTEL_RESOURCE_ATTRIBUTES value, percent-encoded as the OpenTelemetry
specification asks (resource/sdk.md): "%", ",", "=", space and every byte outside
printable ASCII become %XX; the SDKs decode it back. eda.otelAttributeValue "a,b" is
"a%2Cb". */}}
{{- define "eda.otelAttributeValue" -}}
{{- range $char := splitList "" (toString .) -}}
{{- if and (regexMatch "^[\x21-\x7e]$" $char) (not (has $char (list "%" "," "="))) -}}
{{- $char -}}
{{- else -}}
{{- regexReplaceAll "(..)" (printf "%X" $char) "%${1}" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Who the pod is, from the Downward API, and what version it runs: read by every
process for its resource attributes and metrics labels (docs/telemetry.md).
eda.podIdentityEnv (dict "root" $ "image" $config.image) */}}
{{- define "eda.podIdentityEnv" -}}
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_POD_UID
  valueFrom:
    fieldRef:
      fieldPath: metadata.uid
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: EDA_SERVICE_VERSION
  value: {{ include "eda.imageVersion" . | quote }}
{{- end -}}

{{/* The OTLP exporter's headers (e.g. an API key of a hosted collector), from the
Secret telemetry.otlpHeaders names; nothing when it names none. */}}
{{- define "eda.otlpHeadersEnv" -}}
{{- with .Values.telemetry.otlpHeaders -}}
{{- if .existingSecret }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Every event type's broker: routing.routes, then each enabled subscriber's broker. */}}
{{- define "eda.routes" -}}
{{- $routes := deepCopy .Values.routing.routes -}}
{{- range $name, $entry := .Values.subscribers -}}
{{- if and (dig "enabled" true $entry) $entry.broker -}}
{{- $_ := set $routes $entry.eventType $entry.broker -}}
{{- end -}}
{{- end -}}
{{- toJson $routes -}}
{{- end -}}

{{- define "eda.kafkaBootstrapServers" -}}
{{- if .Values.kafka.bootstrapServers -}}
{{- .Values.kafka.bootstrapServers -}}
{{- else if .Values.infrastructure.kafka.enabled -}}
{{- printf "%s:9092" (include "eda.resourceName" (dict "root" . "name" "kafka")) -}}
{{- else -}}
{{- fail "kafka.bootstrapServers is required when infrastructure.kafka.enabled is false" -}}
{{- end -}}
{{- end -}}

{{- define "eda.mysqlHost" -}}
{{- if .Values.mysql.host -}}
{{- .Values.mysql.host -}}
{{- else if .Values.infrastructure.mysql.enabled -}}
{{- include "eda.resourceName" (dict "root" . "name" "mysql") -}}
{{- else -}}
{{- fail "mysql.host is required when infrastructure.mysql.enabled is false" -}}
{{- end -}}
{{- end -}}

{{- define "eda.rabbitmqHost" -}}
{{- if .Values.rabbitmq.host -}}
{{- .Values.rabbitmq.host -}}
{{- else if .Values.infrastructure.rabbitmq.enabled -}}
{{- include "eda.resourceName" (dict "root" . "name" "rabbitmq") -}}
{{- else -}}
{{- fail "rabbitmq.host or rabbitmq.existingSecret is required when infrastructure.rabbitmq.enabled is false" -}}
{{- end -}}
{{- end -}}

{{/* The RabbitMQ management API the operator reads queue depths from. */}}
{{- define "eda.rabbitmqManagementUrl" -}}
{{- if .Values.operator.rabbitmqManagementUrl -}}
{{- .Values.operator.rabbitmqManagementUrl -}}
{{- else if .Values.infrastructure.rabbitmq.enabled -}}
{{- printf "http://%s:15672" (include "eda.resourceName" (dict "root" . "name" "rabbitmq")) -}}
{{- end -}}
{{- end -}}

{{- define "eda.otlpEndpoint" -}}
{{- if .Values.telemetry.otlpEndpoint -}}
{{- .Values.telemetry.otlpEndpoint -}}
{{- else if .Values.infrastructure.jaeger.enabled -}}
{{- printf "http://%s:4318" (include "eda.resourceName" (dict "root" . "name" "jaeger")) -}}
{{- end -}}
{{- end -}}

{{/* The Secrets and keys holding one database's credentials: name for the runtime (DML)
user, migrationName for the migration (DDL) user (the same Secret unless
migrationSecret names one). eda.databaseSecret (dict "root" $ "database" "users") */}}
{{- define "eda.databaseSecret" -}}
{{- $db := index .root.Values.mysql.databases .database | required (printf "mysql.databases has no entry %q" .database) -}}
{{- $name := $db.existingSecret | default (include "eda.resourceName" (dict "root" .root "name" (printf "db-%s" .database))) -}}
name: {{ $name }}
migrationName: {{ $db.migrationSecret | default $name }}
usernameKey: {{ $db.usernameKey }}
passwordKey: {{ $db.passwordKey }}
databaseName: {{ $db.name }}
{{- end -}}

{{/* The Secret of one workload's own broker principal (workloadCredentials.secrets),
or "": eda.workloadSecret (dict "root" $ "workload" "user-service") */}}
{{- define "eda.workloadSecret" -}}
{{- if .workload -}}
{{- index (.root.Values.workloadCredentials.secrets | default dict) .workload | default "" -}}
{{- end -}}
{{- end -}}

{{- define "eda.rabbitmqSecret" -}}
{{- $own := include "eda.workloadSecret" . -}}
{{- $values := .root.Values -}}
{{- if $own -}}
name: {{ $own }}
key: rabbitmq-url
{{- else -}}
name: {{ $values.rabbitmq.existingSecret | default (include "eda.resourceName" (dict "root" .root "name" "rabbitmq")) }}
key: {{ if $values.rabbitmq.existingSecret }}{{ $values.rabbitmq.existingSecretKey }}{{ else }}url{{ end }}
{{- end -}}
{{- end -}}

{{/*
A password: the configured one, else the one already stored in the Secret (so an
upgrade keeps it), else a new random one.
eda.password (dict "root" $ "secret" "eda-db-users" "key" "password" "value" "")
*/}}
{{- define "eda.password" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $existing (hasKey ($existing.data | default dict) .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 24 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Migrations run as pre-install/pre-upgrade hook Jobs only when everything they need
exists before the release: an external database and credentials in existing
Secrets. Otherwise (in-chart MySQL, chart-made credentials) nothing of that exists
until the release is created, so each pod on a database migrates it in an init
container instead: `helm install --wait` and Tilt then converge, and no pod starts
on an unmigrated schema (docs/decisions/0018-how-migrations-run.md).
*/}}
{{- define "eda.migrateBeforeInstall" -}}
{{- $external := not .Values.infrastructure.mysql.enabled -}}
{{- range $name, $db := .Values.mysql.databases -}}
{{- if not $db.existingSecret -}}{{- $external = false -}}{{- end -}}
{{- end -}}
{{- if $external -}}true{{- end -}}
{{- end -}}

{{/* The component that owns a database, whose image and command migrate it.
eda.databaseOwner (dict "root" $ "database" "users") */}}
{{- define "eda.databaseOwner" -}}
{{- $owner := "" -}}
{{- range $name, $entry := .root.Values.components -}}
{{- if eq $entry.database $.database -}}{{- $owner = $name -}}{{- end -}}
{{- end -}}
{{- $owner | required (printf "no entry of components owns the database %q" .database) -}}
{{- end -}}

{{/* How long `migrate` waits for MySQL to accept connections: a pod may start before
the database it sits beside. */}}
{{- define "eda.migrateEnv" -}}
- name: EDA_MYSQL__SERVER_WAIT_S
  value: {{ .Values.migrations.serverWaitSeconds | quote }}
{{- end -}}

{{/*
The init container that migrates a pod's database before its process starts, when
migrations are not hooks (eda.migrateBeforeInstall). Idempotent, and serialised
across pods by a MySQL named lock. It runs the owning service's image and command
in every pod, subscribers included: Tilt's live update replaces the command of
every container of an image with that image's entry point, so a subscriber-image
init container would run `subscriber migrate`. It logs in as the migration (DDL)
user, and gets the pod's common environment and extra mounts.
eda.migrateInitContainer (dict "root" $ "database" "users" "config" $workloadConfig)
*/}}
{{- define "eda.migrateInitContainer" -}}
{{- if and .root.Values.migrations.enabled (not (include "eda.migrateBeforeInstall" .root)) -}}
{{- $owner := include "eda.databaseOwner" . -}}
{{- $o := include "eda.componentConfig" (dict "root" .root "entry" (index .root.Values.components $owner)) | fromYaml -}}
initContainers:
  - name: migrate
    image: {{ include "eda.image" (dict "root" .root "image" $o.image) }}
    imagePullPolicy: {{ $o.image.pullPolicy }}
    command: [{{ $o.command | quote }}]
    args: ["migrate"]
    envFrom:
      - configMapRef:
          name: {{ include "eda.resourceName" (dict "root" .root "name" "config") }}
    env:
      {{- include "eda.appEnv" (dict "root" .root "database" .database "serviceName" (printf "%s-migrate" $owner) "env" .config.env "migration" true) | nindent 6 }}
      {{- include "eda.migrateEnv" .root | nindent 6 }}
      - name: OTEL_SDK_DISABLED
        value: "true"
      {{- include "eda.connectionEnv" (dict "root" .root "mysql" true) | nindent 6 }}
      {{- include "eda.podIdentityEnv" (dict "root" .root "image" $o.image) | nindent 6 }}
      {{- include "eda.extraEnv" .config | nindent 6 }}
    resources:
      {{- toYaml .config.resources | nindent 6 }}
    # Live update syncs into the main container only: this one stays read-only.
    securityContext:
      {{- include "eda.containerSecurityContext" dict | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- include "eda.connectionMounts" (dict "root" .root "mysql" true) | nindent 6 }}
      {{- include "eda.extraVolumeMounts" .config | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* Pod-level security of every application pod. */}}
{{- define "eda.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security of every container: eda.containerSecurityContext (dict "user" 10001) */}}
{{- define "eda.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .user | default 10001 }}
runAsGroup: {{ .group | default .user | default 10001 }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: {{ not .writable }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The environment every application container shares: config, database and broker
credentials; with "migration" true the database's migration (DDL) user. */}}
{{- define "eda.appEnv" -}}
{{- $db := include "eda.databaseSecret" (dict "root" .root "database" .database) | fromYaml -}}
{{- $rabbit := include "eda.rabbitmqSecret" (dict "root" .root "workload" .workload) | fromYaml -}}
{{- $dbSecret := ternary $db.migrationName $db.name (.migration | default false) -}}
- name: OTEL_SERVICE_NAME
  value: {{ .serviceName | quote }}
- name: EDA_MYSQL__DATABASE
  value: {{ $db.databaseName | quote }}
- name: EDA_MYSQL__USER
  valueFrom:
    secretKeyRef:
      name: {{ $dbSecret }}
      key: {{ $db.usernameKey }}
- name: EDA_MYSQL__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $dbSecret }}
      key: {{ $db.passwordKey }}
{{- if not .migration }}
- name: EDA_RABBITMQ__URL
  valueFrom:
    secretKeyRef:
      name: {{ $rabbit.name }}
      key: {{ $rabbit.key }}
{{- end }}
{{- range $name, $value := .env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Pod annotations: Prometheus scraping and a checksum that rolls pods on config changes. */}}
{{- define "eda.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
{{- if .root.Values.telemetry.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: {{ .root.Values.telemetry.metrics.path | quote }}
{{- end }}
{{- with .annotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Scheduling keys shared by application pods. */}}
{{- define "eda.scheduling" -}}
{{- with .imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- with .nodeSelector }}
nodeSelector:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Where each Secret of a connection is mounted (read-only): the contract with the
processes' EDA_*_FILE and TLS path settings (docs/deploy.md, Connecting to managed
infrastructure).
*/}}
{{- define "eda.paths" -}}
kafkaTls: /etc/eda/kafka/tls
kafkaSasl: /etc/eda/kafka/sasl
rabbitmqTls: /etc/eda/rabbitmq/tls
mysqlTls: /etc/eda/mysql/tls
rabbitmqManagement: /etc/eda/rabbitmq-management
{{- end -}}

{{- define "eda.kafkaSasl" -}}
{{- with .Values.kafka.security -}}
{{- if has .protocol (list "SASL_PLAINTEXT" "SASL_SSL") -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{- define "eda.kafkaTls" -}}
{{- with .Values.kafka.security -}}
{{- if has .protocol (list "SSL" "SASL_SSL") -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The Secrets a container reads its connections' credentials and certificates from:
one entry per mounted Secret (volume name, Secret, keys, mount path), for the
connections asked for; "workload" names the principal whose own Secret
(workloadCredentials.secrets) holds its Kafka SASL credentials. eda.connectionSecrets
(dict "root" $ "workload" "user-service" "kafka" true "rabbitmq" true "mysql" true
"management" true)
*/}}
{{- define "eda.connectionSecrets" -}}
{{- $paths := include "eda.paths" . | fromYaml -}}
{{- $values := .root.Values -}}
{{- $secrets := list -}}
{{- if .kafka -}}
{{- $tls := $values.kafka.security.tls -}}
{{- if and (include "eda.kafkaTls" .root) $tls.existingSecret -}}
{{- $keys := ternary (list "ca.crt" "tls.crt" "tls.key") (list "ca.crt") $tls.clientCertificate -}}
{{- $secrets = append $secrets (dict "volume" "kafka-tls" "secret" $tls.existingSecret "keys" $keys "path" $paths.kafkaTls) -}}
{{- end -}}
{{- if include "eda.kafkaSasl" .root -}}
{{- $keys := ternary (list "client-id" "client-secret") (list "username" "password") (eq $values.kafka.security.saslMechanism "OAUTHBEARER") -}}
{{- $secret := include "eda.workloadSecret" . | default $values.kafka.security.existingSecret -}}
{{- $secrets = append $secrets (dict "volume" "kafka-sasl" "secret" $secret "keys" $keys "path" $paths.kafkaSasl) -}}
{{- end -}}
{{- end -}}
{{- if and .rabbitmq $values.rabbitmq.tls.existingSecret -}}
{{- $keys := ternary (list "ca.crt" "tls.crt" "tls.key") (list "ca.crt") $values.rabbitmq.tls.clientCertificate -}}
{{- $secrets = append $secrets (dict "volume" "rabbitmq-tls" "secret" $values.rabbitmq.tls.existingSecret "keys" $keys "path" $paths.rabbitmqTls) -}}
{{- end -}}
{{- if and .management $values.operator.rabbitmqManagementExistingSecret -}}
{{- $secrets = append $secrets (dict "volume" "rabbitmq-management" "secret" $values.operator.rabbitmqManagementExistingSecret "keys" (list "username" "password") "path" $paths.rabbitmqManagement) -}}
{{- end -}}
{{- if and .mysql $values.mysql.tls.existingSecret -}}
{{- $keys := ternary (list "ca.crt" "tls.crt" "tls.key") (list "ca.crt") $values.mysql.tls.clientCertificate -}}
{{- $secrets = append $secrets (dict "volume" "mysql-tls" "secret" $values.mysql.tls.existingSecret "keys" $keys "path" $paths.mysqlTls) -}}
{{- end -}}
{{- toYaml (dict "secrets" $secrets) -}}
{{- end -}}

{{/* The volumeMounts of eda.connectionSecrets (same arguments). */}}
{{- define "eda.connectionMounts" -}}
{{- range (include "eda.connectionSecrets" . | fromYaml).secrets }}
- name: {{ .volume }}
  mountPath: {{ .path }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* The volumes of eda.connectionSecrets (same arguments): only the keys the settings
name, so a Secret without one of them fails the pod's start, naming the key. */}}
{{- define "eda.connectionVolumes" -}}
{{- range (include "eda.connectionSecrets" . | fromYaml).secrets }}
- name: {{ .volume }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
    items:
      {{- range .keys }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end }}
{{- end -}}

{{/*
The settings naming those files, and the plain security settings, for the
connections asked for (same arguments as eda.connectionSecrets). Nothing for a
PLAINTEXT Kafka, a RabbitMQ without TLS Secret, a MySQL without TLS values.
*/}}
{{- define "eda.connectionEnv" -}}
{{- $paths := include "eda.paths" . | fromYaml -}}
{{- $values := .root.Values -}}
{{- if .kafka }}
{{- with $values.kafka.security }}
{{- if ne .protocol "PLAINTEXT" }}
- name: EDA_KAFKA__SECURITY_PROTOCOL
  value: {{ .protocol | quote }}
{{- end }}
{{- if include "eda.kafkaSasl" $.root }}
- name: EDA_KAFKA__SASL_MECHANISM
  value: {{ .saslMechanism | quote }}
{{- if eq .saslMechanism "OAUTHBEARER" }}
- name: EDA_KAFKA__SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL
  value: {{ .oauthbearer.tokenEndpointUrl | quote }}
{{- with .oauthbearer.scope }}
- name: EDA_KAFKA__SASL_OAUTHBEARER_SCOPE
  value: {{ . | quote }}
{{- end }}
- name: EDA_KAFKA__SASL_OAUTHBEARER_CLIENT_ID_FILE
  value: {{ printf "%s/client-id" $paths.kafkaSasl }}
- name: EDA_KAFKA__SASL_OAUTHBEARER_CLIENT_SECRET_FILE
  value: {{ printf "%s/client-secret" $paths.kafkaSasl }}
{{- else }}
- name: EDA_KAFKA__SASL_USERNAME_FILE
  value: {{ printf "%s/username" $paths.kafkaSasl }}
- name: EDA_KAFKA__SASL_PASSWORD_FILE
  value: {{ printf "%s/password" $paths.kafkaSasl }}
{{- end }}
{{- end }}
{{- if and (include "eda.kafkaTls" $.root) .tls.existingSecret }}
- name: EDA_KAFKA__SSL_CAFILE
  value: {{ printf "%s/ca.crt" $paths.kafkaTls }}
{{- if .tls.clientCertificate }}
- name: EDA_KAFKA__SSL_CERTFILE
  value: {{ printf "%s/tls.crt" $paths.kafkaTls }}
- name: EDA_KAFKA__SSL_KEYFILE
  value: {{ printf "%s/tls.key" $paths.kafkaTls }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if .rabbitmq }}
{{- with $values.rabbitmq.tls }}
{{- if .existingSecret }}
- name: EDA_RABBITMQ__SSL_CAFILE
  value: {{ printf "%s/ca.crt" $paths.rabbitmqTls }}
{{- if .clientCertificate }}
- name: EDA_RABBITMQ__SSL_CERTFILE
  value: {{ printf "%s/tls.crt" $paths.rabbitmqTls }}
- name: EDA_RABBITMQ__SSL_KEYFILE
  value: {{ printf "%s/tls.key" $paths.rabbitmqTls }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if .management }}
{{- if $values.operator.rabbitmqManagementExistingSecret }}
- name: EDA_OPERATOR__RABBITMQ_MANAGEMENT_USERNAME_FILE
  value: {{ printf "%s/username" $paths.rabbitmqManagement }}
- name: EDA_OPERATOR__RABBITMQ_MANAGEMENT_PASSWORD_FILE
  value: {{ printf "%s/password" $paths.rabbitmqManagement }}
{{- end }}
{{- if and $values.rabbitmq.tls.existingSecret (hasPrefix "https://" (include "eda.rabbitmqManagementUrl" $.root)) }}
- name: EDA_OPERATOR__RABBITMQ_MANAGEMENT_CAFILE
  value: {{ printf "%s/ca.crt" $paths.rabbitmqTls }}
{{- end }}
{{- end }}
{{- if .mysql }}
{{- with $values.mysql.tls }}
{{- with .mode }}
- name: EDA_MYSQL__SSL_MODE
  value: {{ . | quote }}
{{- end }}
{{- if .existingSecret }}
- name: EDA_MYSQL__SSL_CA
  value: {{ printf "%s/ca.crt" $paths.mysqlTls }}
{{- if .clientCertificate }}
- name: EDA_MYSQL__SSL_CERT
  value: {{ printf "%s/tls.crt" $paths.mysqlTls }}
- name: EDA_MYSQL__SSL_KEY
  value: {{ printf "%s/tls.key" $paths.mysqlTls }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A workload's extraEnv (its configuration from eda.*Config). */}}
{{- define "eda.extraEnv" -}}
{{- with .extraEnv }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/* A workload's extraVolumes (its configuration from eda.*Config). */}}
{{- define "eda.extraVolumes" -}}
{{- with .extraVolumes }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/* A workload's extraVolumeMounts; each must name one of its extraVolumes (or tmp).
eda.extraVolumeMounts $config */}}
{{- define "eda.extraVolumeMounts" -}}
{{- $volumes := list "tmp" -}}
{{- range .extraVolumes }}{{ $volumes = append $volumes .name }}{{ end -}}
{{- range .extraVolumeMounts }}
{{- if not (has .name $volumes) }}
{{- fail (printf "extraVolumeMounts: %q (at %s) names no volume of extraVolumes (nor tmp)" .name .mountPath) }}
{{- end }}
{{- end }}
{{- with .extraVolumeMounts }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/*
Combinations of values the schema cannot refuse with a clear message. Rendered once,
from the ConfigMap (every release has it).
*/}}
{{- define "eda.validate" -}}
{{- include "eda.validateWorkloadCredentials" . -}}
{{- $kafka := .Values.kafka.security -}}
{{- $sasl := include "eda.kafkaSasl" . -}}
{{- if $sasl -}}
{{- if not $kafka.saslMechanism -}}
{{- fail (printf "kafka.security.protocol %s needs kafka.security.saslMechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER" $kafka.protocol) -}}
{{- end -}}
{{- if and (not $kafka.existingSecret) (not .Values.workloadCredentials.required) -}}
{{- fail (printf "kafka.security.protocol %s needs kafka.security.existingSecret: the Secret holding the SASL credentials (keys username and password; client-id and client-secret for OAUTHBEARER)" $kafka.protocol) -}}
{{- end -}}
{{- if and (eq $kafka.saslMechanism "OAUTHBEARER") (not $kafka.oauthbearer.tokenEndpointUrl) -}}
{{- fail "kafka.security.saslMechanism OAUTHBEARER needs kafka.security.oauthbearer.tokenEndpointUrl: the identity provider's token endpoint" -}}
{{- end -}}
{{- if and (ne $kafka.saslMechanism "OAUTHBEARER") (or $kafka.oauthbearer.tokenEndpointUrl $kafka.oauthbearer.scope) -}}
{{- fail (printf "kafka.security.oauthbearer is set but kafka.security.saslMechanism is %s, not OAUTHBEARER" $kafka.saslMechanism) -}}
{{- end -}}
{{- else -}}
{{- if or $kafka.saslMechanism $kafka.existingSecret $kafka.oauthbearer.tokenEndpointUrl $kafka.oauthbearer.scope -}}
{{- fail (printf "kafka.security.saslMechanism, .existingSecret and .oauthbearer are for SASL, but kafka.security.protocol is %s: use SASL_SSL or SASL_PLAINTEXT, or leave them empty" $kafka.protocol) -}}
{{- end -}}
{{- end -}}
{{- if and $kafka.tls.existingSecret (not (include "eda.kafkaTls" .)) -}}
{{- fail (printf "kafka.security.tls.existingSecret is set but kafka.security.protocol %s has no TLS: use SSL or SASL_SSL" $kafka.protocol) -}}
{{- end -}}
{{- if and $kafka.tls.clientCertificate (not $kafka.tls.existingSecret) -}}
{{- fail "kafka.security.tls.clientCertificate needs kafka.security.tls.existingSecret: the Secret holding ca.crt, tls.crt and tls.key" -}}
{{- end -}}
{{- with .Values.rabbitmq -}}
{{- if and .tls.clientCertificate (not .tls.existingSecret) -}}
{{- fail "rabbitmq.tls.clientCertificate needs rabbitmq.tls.existingSecret: the Secret holding ca.crt, tls.crt and tls.key" -}}
{{- end -}}
{{- if and .tls.existingSecret (not .existingSecret) (ne .scheme "amqps") -}}
{{- fail "rabbitmq.tls.existingSecret needs an amqps:// URL: set rabbitmq.scheme to amqps (and rabbitmq.port, usually 5671), or give the URL in rabbitmq.existingSecret" -}}
{{- end -}}
{{- end -}}
{{- with .Values.mysql.tls -}}
{{- if and (eq .mode "DISABLED") .existingSecret -}}
{{- fail "mysql.tls.existingSecret is set but mysql.tls.mode is DISABLED" -}}
{{- end -}}
{{- if and .clientCertificate (not .existingSecret) -}}
{{- fail "mysql.tls.clientCertificate needs mysql.tls.existingSecret: the Secret holding ca.crt, tls.crt and tls.key" -}}
{{- end -}}
{{- end -}}
{{- range $name, $db := .Values.mysql.databases -}}
{{- if and $db.migrationSecret (not $db.existingSecret) -}}
{{- fail (printf "mysql.databases.%s.migrationSecret needs mysql.databases.%s.existingSecret: the runtime user's credentials" $name $name) -}}
{{- end -}}
{{- end -}}
{{- with .Values.networkPolicy -}}
{{- if and .extraEgress (not .egress.enabled) -}}
{{- fail "networkPolicy.extraEgress needs networkPolicy.egress.enabled: with egress open it would close everything else" -}}
{{- end -}}
{{- range $target := list "kafka" "rabbitmq" "otlp" "mysql" "kubernetesApi" -}}
{{- $destination := index $.Values.networkPolicy.egress $target -}}
{{- if and $destination.cidrs (not $destination.ports) -}}
{{- fail (printf "networkPolicy.egress.%s.cidrs needs networkPolicy.egress.%s.ports" $target $target) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A workload's database pool (its databasePool value): eda.databasePoolEnv $config */}}
{{- define "eda.databasePoolEnv" -}}
{{- if gt (int .databasePool.minSize) (int .databasePool.maxSize) -}}
{{- fail (printf "databasePool.minSize (%v) is above databasePool.maxSize (%v)" .databasePool.minSize .databasePool.maxSize) -}}
{{- end -}}
- name: EDA_MYSQL__POOL_MIN_SIZE
  value: {{ .databasePool.minSize | quote }}
- name: EDA_MYSQL__POOL_MAX_SIZE
  value: {{ .databasePool.maxSize | quote }}
{{- end -}}

{{/*
The MySQL connections the release may hold at its maximum replicas, as YAML: total,
and one line per workload. An API holds its pool (databasePool.maxSize) and its outbox
relay's (EDA_OUTBOX__LANES + 1, lanes 2 unless its env says otherwise); a subscriber
its pool alone (its relay shares it). Replicas are autoscaling.maxReplicas when
autoscaling is on (for a Kafka subscriber at most kafka.partitions), else replicas.
*/}}
{{- define "eda.connectionBudget" -}}
{{- $total := 0 -}}
{{- $lines := list -}}
{{- range $name, $entry := .Values.components -}}
{{- $c := include "eda.componentConfig" (dict "root" $ "entry" $entry) | fromYaml -}}
{{- if $c.enabled -}}
{{- $replicas := int $c.replicas -}}
{{- if $c.autoscaling.enabled -}}
{{- $replicas = int $c.autoscaling.maxReplicas -}}
{{- end -}}
{{- $lanes := int (dig "EDA_OUTBOX__LANES" 2 ($c.env | default dict)) -}}
{{- $each := add (int $c.databasePool.maxSize) $lanes 1 -}}
{{- $total = add $total (mul $replicas $each) -}}
{{- $lines = append $lines (printf "%s: %d replicas x (pool %d + relay %d) = %d" $name $replicas (int $c.databasePool.maxSize) (add $lanes 1) (mul $replicas $each)) -}}
{{- end -}}
{{- end -}}
{{- range $name, $entry := .Values.subscribers -}}
{{- $s := include "eda.subscriberConfig" (dict "root" $ "entry" $entry) | fromYaml -}}
{{- if $s.enabled -}}
{{- $replicas := int $s.replicas -}}
{{- if $s.autoscaling.enabled -}}
{{- $replicas = int $s.autoscaling.maxReplicas -}}
{{- if eq $s.broker "kafka" -}}
{{- $replicas = min $replicas (int $.Values.kafka.partitions) -}}
{{- end -}}
{{- end -}}
{{- $each := int $s.databasePool.maxSize -}}
{{- $total = add $total (mul $replicas $each) -}}
{{- $lines = append $lines (printf "%s: %d replicas x pool %d = %d" $name $replicas $each (mul $replicas $each)) -}}
{{- end -}}
{{- end -}}
total: {{ $total }}
lines: {{ toYaml $lines | nindent 2 }}
{{- end -}}

{{/* With workloadCredentials.required, every workload that talks to a broker has a
Secret of its own: no shared principal (docs/security.md). */}}
{{- define "eda.validateWorkloadCredentials" -}}
{{- $root := . -}}
{{- $secrets := .Values.workloadCredentials.secrets | default dict -}}
{{- $workloads := list -}}
{{- range $name, $entry := .Values.components -}}
{{- if (include "eda.componentConfig" (dict "root" $root "entry" $entry) | fromYaml).enabled -}}
{{- $workloads = append $workloads $name -}}
{{- end -}}
{{- end -}}
{{- range $name, $entry := .Values.subscribers -}}
{{- $s := include "eda.subscriberConfig" (dict "root" $root "entry" $entry) | fromYaml -}}
{{- if $s.enabled -}}
{{- $workloads = append $workloads $s.subscriberName -}}
{{- end -}}
{{- end -}}
{{- if .Values.operator.enabled -}}
{{- $workloads = append $workloads "operator" -}}
{{- end -}}
{{- range $name := keys $secrets | sortAlpha -}}
{{- if not (has $name $workloads) -}}
{{- fail (printf "workloadCredentials.secrets.%s names no workload of this release; known: %s" $name (join ", " ($workloads | sortAlpha))) -}}
{{- end -}}
{{- end -}}
{{- if .Values.workloadCredentials.required -}}
{{- range $name := $workloads | sortAlpha -}}
{{- if not (index $secrets $name) -}}
{{- fail (printf "workloadCredentials.secrets.%s is required when workloadCredentials.required is true: a Secret with its own broker credentials (rabbitmq-url; username and password for Kafka SASL), docs/security.md" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
