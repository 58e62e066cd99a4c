{{/* Chart name, overridable. */}}
{{- define "edge-stl.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix: <release>-edge-stl, or the release name when it already contains the chart name. */}}
{{- define "edge-stl.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's resources: <fullname>-<component>. Call with (list $ "operator"). */}}
{{- define "edge-stl.componentName" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "edge-stl.fullname" $root | trunc 50 | trimSuffix "-") (index . 1) }}
{{- end }}

{{- define "edge-stl.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "edge-stl.labels" -}}
helm.sh/chart: {{ include "edge-stl.chart" . }}
app.kubernetes.io/name: {{ include "edge-stl.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: edge-stl
{{- end }}

{{/* Labels of one component's objects. Call with (list $ "operator"). */}}
{{- define "edge-stl.componentLabels" -}}
{{ include "edge-stl.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Selector labels of one component (immutable: never add to these). Call with (list $ "operator"). */}}
{{- define "edge-stl.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edge-stl.name" (index . 0) }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* ServiceAccount name of one component. Call with (list $ "operator"). */}}
{{- define "edge-stl.serviceAccountName" -}}
{{- include "edge-stl.componentName" . }}
{{- end }}

{{/* The image reference. */}}
{{- define "edge-stl.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Secret names: the user's existing Secret, or the chart-created one. */}}
{{- define "edge-stl.s3SecretName" -}}
{{- default (include "edge-stl.componentName" (list . "s3")) .Values.objectStore.existingSecret }}
{{- end }}
{{- define "edge-stl.redisSecretName" -}}
{{- default (include "edge-stl.componentName" (list . "redis")) .Values.redis.existingSecret }}
{{- end }}
{{- define "edge-stl.tokensSecretName" -}}
{{- default (include "edge-stl.componentName" (list . "tokens")) .Values.tokens.existingSecret }}
{{- end }}

{{/* Lease name of the operator's leader election. */}}
{{- define "edge-stl.leaseName" -}}
{{- default (include "edge-stl.componentName" (list . "operator")) .Values.operator.leaderElection.leaseName }}
{{- end }}

{{/* The coordination API URL edge agents call. */}}
{{- define "edge-stl.operatorUrl" -}}
{{- if .Values.edgeAgent.operatorUrl }}
{{- .Values.edgeAgent.operatorUrl }}
{{- else }}
{{- printf "%s://%s.%s.svc:%v" (ternary "https" "http" .Values.operator.tls.enabled) (include "edge-stl.componentName" (list . "operator")) .Release.Namespace .Values.operator.service.port }}
{{- end }}
{{- end }}

{{/* S3 endpoint and credentials as env vars. Call with (list $ "endpoint-url"). */}}
{{- define "edge-stl.s3Env" -}}
{{- $root := index . 0 }}
- name: S3_ENDPOINT
  value: {{ index . 1 | quote }}
- name: S3_REGION
  value: {{ $root.Values.objectStore.region | quote }}
- name: S3_BUCKET
  value: {{ $root.Values.objectStore.bucket | quote }}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "edge-stl.s3SecretName" $root }}
      key: {{ $root.Values.objectStore.existingSecretKeys.accessKey }}
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "edge-stl.s3SecretName" $root }}
      key: {{ $root.Values.objectStore.existingSecretKeys.secretKey }}
{{- end }}

{{/* Redis URL as an env var. */}}
{{- define "edge-stl.redisEnv" -}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "edge-stl.redisSecretName" . }}
      key: {{ .Values.redis.existingSecretKey }}
{{- end }}

{{/* One token from the tokens Secret as an env var. Call with (list $ "ENV_NAME" "KEY" optional). */}}
{{- define "edge-stl.tokenEnv" -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "edge-stl.tokensSecretName" (index . 0) }}
      key: {{ index . 2 }}
      {{- if index . 3 }}
      optional: true
      {{- end }}
{{- end }}

{{/* Secret with the operator's serving certificate and key (operator only). */}}
{{- define "edge-stl.operatorTlsSecretName" -}}
{{- include "edge-stl.componentName" (list . "operator-tls") }}
{{- end }}

{{/* Secret with only the CA certificate agents verify the operator with (safe on edge nodes). */}}
{{- define "edge-stl.edgeCaSecretName" -}}
{{- if .Values.operator.tls.certManager.enabled }}
{{- required "operator.tls.certManager.caSecretName is required: a Secret with only ca.crt for the agents" .Values.operator.tls.certManager.caSecretName }}
{{- else }}
{{- include "edge-stl.componentName" (list . "edge-ca") }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every component. */}}
{{- define "edge-stl.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* An existing value, a kept value from the live Secret (upgrades), or a fresh random one. Call with (list $ secretName key given). */}}
{{- define "edge-stl.secretValue" -}}
{{- $root := index . 0 }}
{{- $given := index . 3 }}
{{- if $given }}
{{- $given | b64enc }}
{{- else }}
{{- $live := lookup "v1" "Secret" $root.Release.Namespace (index . 1) }}
{{- if and $live $live.data (hasKey $live.data (index . 2)) }}
{{- index $live.data (index . 2) }}
{{- else }}
{{- randAlphaNum 32 | b64enc }}
{{- end }}
{{- end }}
{{- end }}
