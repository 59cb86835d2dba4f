{{/*
Bearer-token checks on the APIs (auth.*): the EDA_AUTH__* variables, and the mounted CA
of a private identity provider. With auth on, the issuer and audience are required, and
so is one key source: the provider's keys (auth.discovery or auth.jwksUrl) or a static
key from auth.existingSecret (docs/decisions/0029).
*/}}
{{- define "eda.authCaPath" -}}/etc/eda/auth/ca{{- end -}}

{{- define "eda.authEnv" -}}
{{- with .Values.auth }}
{{- if .enabled }}
{{- if not .issuer }}
{{- fail "auth.enabled needs auth.issuer: the identity provider's issuer URL, exactly as in the tokens' iss claim" }}
{{- end }}
{{- if not .audience }}
{{- fail "auth.enabled needs auth.audience: this API's identifier, as in the tokens' aud claim" }}
{{- end }}
{{- $sources := 0 }}
{{- if .discovery }}{{ $sources = add1 $sources }}{{ end }}
{{- if .jwksUrl }}{{ $sources = add1 $sources }}{{ end }}
{{- if .existingSecret }}{{ $sources = add1 $sources }}{{ end }}
{{- if ne $sources 1 }}
{{- fail "auth.enabled needs exactly one key source: auth.discovery, auth.jwksUrl, or auth.existingSecret (a static key)" }}
{{- end }}
- name: EDA_AUTH__ENABLED
  value: "true"
- name: EDA_AUTH__ISSUER
  value: {{ .issuer | quote }}
- name: EDA_AUTH__AUDIENCE
  value: {{ .audience | quote }}
- name: EDA_AUTH__ALGORITHMS
  value: {{ .algorithms | toJson | quote }}
{{- if .existingSecret }}
- name: EDA_AUTH__KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- else }}
{{- if .discovery }}
- name: EDA_AUTH__DISCOVERY
  value: "true"
{{- else }}
- name: EDA_AUTH__JWKS_URL
  value: {{ .jwksUrl | quote }}
{{- end }}
- name: EDA_AUTH__JWKS_REFETCH_MIN_S
  value: {{ .jwksRefetchMinSeconds | quote }}
- name: EDA_AUTH__JWKS_REFRESH_S
  value: {{ .jwksRefreshSeconds | quote }}
{{- end }}
{{- if .caSecret }}
- name: EDA_AUTH__CA_FILE
  value: {{ include "eda.authCaPath" $ }}/ca.crt
{{- end }}
- name: EDA_AUTH__SUBJECT_CLAIM
  value: {{ .subjectClaim | quote }}
- name: EDA_AUTH__ADMIN_SCOPE
  value: {{ .adminScope | quote }}
- name: EDA_AUTH__MAX_TOKEN_LIFETIME_S
  value: {{ .maxTokenLifetimeSeconds | quote }}
- name: EDA_AUTH__REQUIRE_AT_JWT
  value: {{ .requireAtJwt | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "eda.authMounts" -}}
{{- if and .Values.auth.enabled .Values.auth.caSecret }}
- name: auth-ca
  mountPath: {{ include "eda.authCaPath" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "eda.authVolumes" -}}
{{- if and .Values.auth.enabled .Values.auth.caSecret }}
- name: auth-ca
  secret:
    secretName: {{ .Values.auth.caSecret }}
    defaultMode: 0440
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- end -}}
