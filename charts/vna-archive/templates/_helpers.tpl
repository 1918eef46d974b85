{{/*
Names, labels and input checks shared by every template.
*/}}

{{- define "vna-archive.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vna-archive.fullname" -}}
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

{{- define "vna-archive.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable for the life of a release (a Deployment selector is immutable). */}}
{{- define "vna-archive.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vna-archive.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: archive
{{- end -}}

{{- define "vna-archive.labels" -}}
{{ include "vna-archive.selectorLabels" . }}
helm.sh/chart: {{ include "vna-archive.chart" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/part-of: imaging-cloud
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.trust.odsCode }}
imaging.nhs.uk/trust: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "vna-archive.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vna-archive.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository:tag@digest - the kubelet pulls by digest; the tag is for people. */}}
{{- define "vna-archive.image" -}}
{{- printf "%s/%s:%s@%s" .Values.image.registry .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- end -}}

{{/* Environment variable names holding a peer's credentials (substituted by Orthanc). */}}
{{- define "vna-archive.peerEnvPrefix" -}}
{{- printf "VNA_PEER_%s" (. | upper | replace "-" "_") -}}
{{- end -}}

{{/*
Input checks the JSON schema cannot express. Each failure is one sentence naming the value
to set. Rendered (to nothing) from every template so that no object is produced from an
incomplete or contradictory configuration.
*/}}
{{- define "vna-archive.validate" -}}
{{- $missing := list -}}
{{- $v := .Values -}}
{{- if not $v.orthanc.auth.usersSecret.name }}{{ $missing = append $missing "orthanc.auth.usersSecret.name" }}{{ end -}}
{{- if not $v.orthanc.tls.dicom.secretName }}{{ $missing = append $missing "orthanc.tls.dicom.secretName" }}{{ end -}}
{{- if not $v.orthanc.tls.https.secretName }}{{ $missing = append $missing "orthanc.tls.https.secretName" }}{{ end -}}
{{- if not $v.postgresql.host }}{{ $missing = append $missing "postgresql.host" }}{{ end -}}
{{- if not $v.postgresql.passwordSecret.name }}{{ $missing = append $missing "postgresql.passwordSecret.name" }}{{ end -}}
{{- if not $v.postgresql.caSecret.name }}{{ $missing = append $missing "postgresql.caSecret.name" }}{{ end -}}
{{- if not $v.objectStorage.endpoint }}{{ $missing = append $missing "objectStorage.endpoint" }}{{ end -}}
{{- if not $v.objectStorage.bucket }}{{ $missing = append $missing "objectStorage.bucket" }}{{ end -}}
{{- if not $v.objectStorage.credentialsSecret.name }}{{ $missing = append $missing "objectStorage.credentialsSecret.name" }}{{ end -}}
{{- if not $v.objectStorage.encryption.secretName }}{{ $missing = append $missing "objectStorage.encryption.secretName" }}{{ end -}}
{{- if not $v.networkPolicy.egress.postgresql.namespace }}{{ $missing = append $missing "networkPolicy.egress.postgresql.namespace" }}{{ end -}}
{{- if not $v.networkPolicy.egress.objectStorage.namespace }}{{ $missing = append $missing "networkPolicy.egress.objectStorage.namespace" }}{{ end -}}
{{- if $missing -}}
{{- fail (printf "vna-archive: set %s: the archive keeps no credentials, index or images of its own, so it will not start without them." (join ", " $missing)) -}}
{{- end -}}
{{- $names := dict -}}
{{- range $v.orthanc.modalities -}}
{{- if hasKey $names .name -}}
{{- fail (printf "vna-archive: orthanc.modalities has the name %q twice; every modality and peer needs its own name." .name) -}}
{{- end -}}
{{- $_ := set $names .name true -}}
{{- end -}}
{{- range $v.orthanc.peers -}}
{{- $key := printf "peer-%s" .name -}}
{{- if hasKey $names $key -}}
{{- fail (printf "vna-archive: the peer %q collides with the modality or peer named %q; rename one of them." .name $key) -}}
{{- end -}}
{{- $_ := set $names $key true -}}
{{- if and .egress.namespace .egress.cidr -}}
{{- fail (printf "vna-archive: orthanc.peers[%s].egress sets both namespace and cidr; give exactly one so the egress rule is unambiguous." .name) -}}
{{- end -}}
{{- if not (or .egress.namespace .egress.cidr) -}}
{{- fail (printf "vna-archive: orthanc.peers[%s].egress needs a namespace or a cidr, otherwise the network policy blocks all traffic to that peer." .name) -}}
{{- end -}}
{{- end -}}
{{- $keyIds := dict -}}
{{- $_ := set $keyIds (toString $v.objectStorage.encryption.masterKey.id) true -}}
{{- range $v.objectStorage.encryption.previousMasterKeys -}}
{{- if hasKey $keyIds (toString .id) -}}
{{- fail (printf "vna-archive: master key id %v is used twice in objectStorage.encryption; every key needs its own id or older objects become unreadable." .id) -}}
{{- end -}}
{{- $_ := set $keyIds (toString .id) true -}}
{{- end -}}
{{- end -}}
