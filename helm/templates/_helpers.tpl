{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "mlops-inference-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full resource name: the release name when it already contains the chart name (so release "mlops-inference-service" gives exactly that), else "<release>-<chart>". */}}
{{- define "mlops-inference-service.fullname" -}}
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

{{/* Chart name and version for the helm.sh/chart label. */}}
{{- define "mlops-inference-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels for every object: selector labels plus version and ownership. */}}
{{- define "mlops-inference-service.labels" -}}
helm.sh/chart: {{ include "mlops-inference-service.chart" . }}
{{ include "mlops-inference-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mlops-inference-chain
{{- end }}

{{/* Selector labels: immutable on a Deployment, so never a version. */}}
{{- define "mlops-inference-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mlops-inference-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ServiceAccount name: the full name when the chart creates it, else the given one or "default". */}}
{{- define "mlops-inference-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mlops-inference-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: repository@digest, repository:tag@digest, or repository:tag (tag defaults to appVersion). */}}
{{- define "mlops-inference-service.image" -}}
{{- $repository := .Values.image.repository }}
{{- $tag := .Values.image.tag }}
{{- if .Values.image.digest }}
{{- if $tag }}
{{- printf "%s:%s@%s" $repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- end }}
{{- else }}
{{- printf "%s:%s" $repository (default .Chart.AppVersion $tag) }}
{{- end }}
{{- end }}

{{/* Most pods that can run at once: the HPA's maxReplicas when it is on, else replicaCount. */}}
{{- define "mlops-inference-service.maxPods" -}}
{{- if .Values.autoscaling.enabled }}
{{- .Values.autoscaling.maxReplicas }}
{{- else }}
{{- .Values.replicaCount }}
{{- end }}
{{- end }}

{{/* Stops rendering with a message naming the values at fault (see validate below). */}}
{{- define "mlops-inference-service.fail" -}}
{{- fail . }}
{{- /*
Reached only under `helm lint`, whose fail() merely logs "[INFO] Fail: ..." and
carries on (helm pkg/engine, LintMode). An object whose name is the message makes
lint report an ERROR naming the same values, so lint and template both refuse.
*/}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "invalid values: %s" . | quote }}
---
{{- end }}

{{/* Rejects values the schema cannot relate to each other; called first in the Deployment. */}}
{{- define "mlops-inference-service.validate" -}}
{{- $drain := int .Values.shutdown.drainDelaySeconds }}
{{- $timeout := int .Values.shutdown.timeoutSeconds }}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- if le $grace (add $drain $timeout) }}
{{- include "mlops-inference-service.fail" (printf "terminationGracePeriodSeconds (%d) must be greater than shutdown.drainDelaySeconds (%d) + shutdown.timeoutSeconds (%d) = %d, or the kubelet kills pods before they finish draining; raise terminationGracePeriodSeconds to at least %d" $grace $drain $timeout (add $drain $timeout) (add $drain $timeout 1)) }}
{{- end }}
{{- /* The service itself refuses to start otherwise (service/src/config.ts): fail here, not in a crash loop. */}}
{{- if ge $drain $timeout }}
{{- include "mlops-inference-service.fail" (printf "shutdown.drainDelaySeconds (%d) must be less than shutdown.timeoutSeconds (%d): the timeout counts from SIGTERM and must leave time for in-flight requests after the drain" $drain $timeout) }}
{{- end }}
{{- $maxQueue := int (default 2048 .Values.config.maxQueue) }}
{{- if and .Values.config.maxBatchItems (gt (int .Values.config.maxBatchItems) $maxQueue) }}
{{- include "mlops-inference-service.fail" (printf "config.maxBatchItems (%d) must not exceed config.maxQueue (%d; 2048 when null, the service's default): one batch request must fit in the queue" (int .Values.config.maxBatchItems) $maxQueue) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- include "mlops-inference-service.fail" (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
