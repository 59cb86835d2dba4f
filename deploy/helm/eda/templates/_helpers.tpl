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

{{/* Every label of a workload's objects: eda.labels (dict "root" $ "component" "user-service" "tier" "app") */}}
{{- define "eda.labels" -}}
{{ include "eda.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ include "eda.name" .root }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
eda.dev/tier: {{ .tier | default "app" }}
{{- end -}}

{{/* Labels of objects that belong to the release as a whole (ConfigMap, Secrets, RBAC). */}}
{{- define "eda.commonLabels" -}}
app.kubernetes.io/name: {{ include "eda.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
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

{{/* A component's configuration: defaults overlaid with its entry. */}}
{{- define "eda.componentConfig" -}}
{{- $base := include "eda.workloadDefaults" .root | fromYaml -}}
{{- $merged := include "eda.merge" (dict "base" $base "overlay" .entry) | fromYaml -}}
{{- $_ := set $merged "enabled" (dig "enabled" true .entry) -}}
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
{{- toYaml $merged -}}
{{- end -}}

{{/* The operator's configuration: defaults overlaid with the operator block. */}}
{{- define "eda.operatorConfig" -}}
{{- $base := include "eda.workloadDefaults" . | fromYaml -}}
{{- include "eda.merge" (dict "base" $base "overlay" .Values.operator) -}}
{{- end -}}

{{/* An application image reference: eda.image (dict "root" $ "image" $config.image) */}}
{{- define "eda.image" -}}
{{- $repository := .image.repository -}}
{{- if .image.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" .image.registry) $repository -}}
{{- end -}}
{{- printf "%s:%s" $repository (.image.tag | default .root.Chart.AppVersion) -}}
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

{{/* The Secret and keys holding one database's credentials: eda.databaseSecret (dict "root" $ "database" "users") */}}
{{- define "eda.databaseSecret" -}}
{{- $db := index .root.Values.mysql.databases .database | required (printf "mysql.databases has no entry %q" .database) -}}
name: {{ $db.existingSecret | default (include "eda.resourceName" (dict "root" .root "name" (printf "db-%s" .database))) }}
usernameKey: {{ $db.usernameKey }}
passwordKey: {{ $db.passwordKey }}
databaseName: {{ $db.name }}
{{- end -}}

{{- define "eda.rabbitmqSecret" -}}
name: {{ .Values.rabbitmq.existingSecret | default (include "eda.resourceName" (dict "root" . "name" "rabbitmq")) }}
key: {{ if .Values.rabbitmq.existingSecret }}{{ .Values.rabbitmq.existingSecretKey }}{{ else }}url{{ end }}
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
init container would run `subscriber migrate`.
eda.migrateInitContainer (dict "root" $ "database" "users" "resources" {})
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
      {{- include "eda.appEnv" (dict "root" .root "database" .database "serviceName" (printf "%s-migrate" $owner)) | nindent 6 }}
      {{- include "eda.migrateEnv" .root | nindent 6 }}
      - name: OTEL_SDK_DISABLED
        value: "true"
    resources:
      {{- toYaml .resources | nindent 6 }}
    # Live update syncs into the main container only: this one stays read-only.
    securityContext:
      {{- include "eda.containerSecurityContext" dict | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
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

{{/* The environment every application container shares: config, database and broker credentials. */}}
{{- define "eda.appEnv" -}}
{{- $db := include "eda.databaseSecret" (dict "root" .root "database" .database) | fromYaml -}}
{{- $rabbit := include "eda.rabbitmqSecret" .root | fromYaml -}}
- name: OTEL_SERVICE_NAME
  value: {{ .serviceName | quote }}
- name: EDA_MYSQL__DATABASE
  value: {{ $db.databaseName | quote }}
- name: EDA_MYSQL__USER
  valueFrom:
    secretKeyRef:
      name: {{ $db.name }}
      key: {{ $db.usernameKey }}
- name: EDA_MYSQL__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $db.name }}
      key: {{ $db.passwordKey }}
- name: EDA_RABBITMQ__URL
  valueFrom:
    secretKeyRef:
      name: {{ $rabbit.name }}
      key: {{ $rabbit.key }}
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

