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

{{/* "true" while the environment waits for its first release (image.waitForRelease, no tag, no digest), else empty. */}}
{{- define "mlops-inference-service.waitingForRelease" -}}
{{- if and .Values.image.waitForRelease (not .Values.image.tag) (not .Values.image.digest) }}true{{ end }}
{{- end }}

{{/* The workload's replicas line: 0 while waiting for the first release; none when the HPA owns the count; else replicaCount. */}}
{{- define "mlops-inference-service.replicas" -}}
{{- if include "mlops-inference-service.waitingForRelease" . -}}
replicas: 0
{{- else if not .Values.autoscaling.enabled -}}
replicas: {{ .Values.replicaCount }}
{{- end -}}
{{- end }}

{{/* Annotations on the workload: says so while it waits for its first release (Argo CD shows them). */}}
{{- define "mlops-inference-service.workloadAnnotations" -}}
{{- if include "mlops-inference-service.waitingForRelease" . -}}
annotations:
  mlops-inference-chain/waiting-for-first-release: "image.tag is empty: no release yet, so no pods; the pipeline's first release writes the tag (docs/pipeline.md)"
{{- end -}}
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
{{- if eq (int .Values.metrics.port) (int .Values.containerPort) }}
{{- include "mlops-inference-service.fail" (printf "metrics.port (%d) must differ from containerPort (%d): the service serves /metrics only on its own port, which the NetworkPolicy opens to the monitoring namespace alone" (int .Values.metrics.port) (int .Values.containerPort)) }}
{{- end }}
{{- include "mlops-inference-service.validateIngress" . }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- include "mlops-inference-service.fail" (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}

{{/* Refuses an Ingress whose exposure nobody chose: the service has no authentication (issue 13). */}}
{{- define "mlops-inference-service.validateIngress" -}}
{{- $ingress := .Values.ingress }}
{{- if $ingress.enabled }}
{{- range $key := list "alb.ingress.kubernetes.io/scheme" "alb.ingress.kubernetes.io/inbound-cidrs" }}
{{- if hasKey ($ingress.annotations | default dict) $key }}
{{- include "mlops-inference-service.fail" (printf "ingress.annotations must not set %s: use ingress.scheme and ingress.allowedCidrs, so the chart can check who may reach the service (it has no authentication)" $key) }}
{{- end }}
{{- end }}
{{- if eq $ingress.className "alb" }}
{{- if and (eq $ingress.scheme "internet-facing") (not $ingress.allowedCidrs) (not $ingress.public) }}
{{- include "mlops-inference-service.fail" "ingress.scheme internet-facing opens the service, which has no authentication, to the whole internet: list the sources in ingress.allowedCidrs, or set ingress.public: true to confirm" }}
{{- end }}
{{- else }}
{{- if $ingress.allowedCidrs }}
{{- include "mlops-inference-service.fail" (printf "ingress.allowedCidrs works only with ingress.className alb (got %s): restrict sources with that controller's own annotations and set ingress.public: true" $ingress.className) }}
{{- end }}
{{- if not $ingress.public }}
{{- include "mlops-inference-service.fail" (printf "ingress.className %s: the chart cannot keep this Ingress internal or limit its sources; set ingress.public: true to confirm it may be reachable without authentication, or use className alb" $ingress.className) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Rejects canary values that cannot work; called first in the Rollout. */}}
{{- define "mlops-inference-service.validateRollout" -}}
{{- $analysis := .Values.rollout.analysis }}
{{- if and $analysis.golden.enabled (not $analysis.golden.image) }}
{{- include "mlops-inference-service.fail" "rollout.analysis.golden.image is empty: the golden-examples Job needs an image with deployctl and the release's model card (e.g. the pipeline's deployctl image of the release commit); set it, or set rollout.analysis.golden.enabled: false" }}
{{- end }}
{{- $analysisSteps := 0 }}
{{- range .Values.rollout.canary.steps }}
{{- if hasKey . "analysis" }}{{ $analysisSteps = add1 $analysisSteps }}{{ end }}
{{- end }}
{{- if eq (int $analysisSteps) 0 }}
{{- include "mlops-inference-service.fail" "rollout.canary.steps has no `analysis: {}` step: the canary would be promoted without ever being judged; add one after a setWeight step" }}
{{- end }}
{{- end }}
