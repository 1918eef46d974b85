{{/*
Where Secrets and config are mounted inside the container. Everything the archive reads lives
under one root so that a test harness can relocate it with one prefix.
*/}}
{{- define "vna-archive.paths" -}}
{{- $root := "/etc/orthanc-archive" -}}
{{- toJson (dict
  "root" $root
  "config" (printf "%s/config/" $root)
  "dicomTls" (printf "%s/tls/dicom" $root)
  "https" (printf "%s/tls/https" $root)
  "outboundCa" (printf "%s/tls/outbound" $root)
  "postgresqlCa" (printf "%s/tls/postgresql" $root)
  "keys" (printf "%s/keys" $root)
  "plugins" "/usr/share/orthanc/plugins-available"
  "systemCaBundle" "/etc/ssl/certs/ca-certificates.crt"
) -}}
{{- end -}}

{{/* One DicomModalities entry. Orthanc defaults every Allow* to true, so each is written out. */}}
{{- define "vna-archive.modalityEntry" -}}
{{- $p := default dict .permissions -}}
{{- $tls := true -}}
{{- if hasKey . "useDicomTls" }}{{ $tls = .useDicomTls }}{{ end -}}
{{- toJson (dict
  "AET" .aet
  "Host" .host
  "Port" .port
  "Manufacturer" (default "Generic" .manufacturer)
  "AllowEcho" (default false $p.echo)
  "AllowFind" (default false $p.find)
  "AllowFindWorklist" false
  "AllowGet" (default false $p.get)
  "AllowMove" (default false $p.move)
  "AllowStore" (default false $p.store)
  "AllowStorageCommitment" false
  "AllowTranscoding" true
  "UseDicomTls" $tls
) -}}
{{- end -}}

{{/*
The complete orthanc.json. Fixed settings carry the reason they are fixed; knobs come from
values. Secrets are not in here: users come from a Secret-mounted JSON file next to this one,
the PostgreSQL password from PGPASSWORD, the S3 keys from AWS_* variables and peer
credentials from ${VNA_PEER_*} variables that Orthanc substitutes when it reads the file.
*/}}
{{- define "vna-archive.orthancConfig" -}}
{{- $v := .Values -}}
{{- $o := $v.orthanc -}}
{{- $paths := include "vna-archive.paths" . | fromJson -}}

{{- $modalities := dict -}}
{{- range $o.modalities -}}
{{- $_ := set $modalities .name (include "vna-archive.modalityEntry" . | fromJson) -}}
{{- end -}}
{{- $peers := dict -}}
{{- range $o.peers -}}
{{- $prefix := include "vna-archive.peerEnvPrefix" .name -}}
{{- $_ := set $peers .name (dict
  "Url" .url
  "Username" (printf "${%s_USERNAME}" $prefix)
  "Password" (printf "${%s_PASSWORD}" $prefix)
) -}}
{{- /* Across trust networks DIMSE is always TLS: useDicomTls is not negotiable for peers. */ -}}
{{- $entry := merge (dict "useDicomTls" true "name" (printf "peer-%s" .name)) .modality -}}
{{- $_ := set $modalities (printf "peer-%s" .name) (include "vna-archive.modalityEntry" $entry | fromJson) -}}
{{- end -}}

{{- $previousKeys := list -}}
{{- range $v.objectStorage.encryption.previousMasterKeys -}}
{{- $previousKeys = append $previousKeys (list .id (printf "%s/%s" $paths.keys .key)) -}}
{{- end -}}

{{- $outboundCa := $paths.systemCaBundle -}}
{{- if $o.tls.outboundCa.secretName -}}
{{- $outboundCa = printf "%s/%s" $paths.outboundCa $o.tls.outboundCa.key -}}
{{- end -}}

{{- $c := dict -}}
{{- $_ := set $c "Name" $v.trust.displayName -}}

{{- /* ---- HTTP (REST API and DICOMweb) ---- */ -}}
{{- $_ := set $c "HttpServerEnabled" true -}}
{{- $_ := set $c "HttpPort" $o.http.port -}}
{{- /* Every call needs a registered user; the two settings are fixed together because
       remote access without authentication would publish the archive to the network. */ -}}
{{- $_ := set $c "AuthenticationEnabled" true -}}
{{- $_ := set $c "RemoteAccessAllowed" true -}}
{{- /* HTTPS only, TLS 1.2 or later (4 = TLS1.2 in civetweb's numbering): Basic credentials
       and patient data never cross the network in clear. */ -}}
{{- $_ := set $c "SslEnabled" true -}}
{{- $_ := set $c "SslCertificate" (printf "%s/%s" $paths.https $o.tls.https.pemKey) -}}
{{- $_ := set $c "SslMinimumProtocolVersion" 4 -}}
{{- /* Error bodies must not describe internals (paths, SQL, stack details) to callers. */ -}}
{{- $_ := set $c "HttpDescribeErrors" false -}}
{{- $_ := set $c "OrthancExplorerEnabled" $o.features.explorerEnabled -}}
{{- $_ := set $c "MetricsEnabled" $o.features.metricsEnabled -}}
{{- /* WebDAV exposes the archive as a file share (and uploads); not needed by an archive. */ -}}
{{- $_ := set $c "WebDavEnabled" false -}}
{{- $_ := set $c "WebDavDeleteAllowed" false -}}
{{- $_ := set $c "WebDavUploadAllowed" false -}}
{{- /* /tools/execute-script would run arbitrary Lua with the server's rights; no Lua at all. */ -}}
{{- $_ := set $c "ExecuteLuaEnabled" false -}}
{{- $_ := set $c "LuaScripts" list -}}
{{- /* REST calls must not be able to write files on the server (Orthanc >= 1.10.1). */ -}}
{{- $_ := set $c "RestApiWriteToFileSystemEnabled" false -}}

{{- /* ---- DICOM (DIMSE) ---- */ -}}
{{- $_ := set $c "DicomServerEnabled" true -}}
{{- $_ := set $c "DicomAet" $o.dicom.aet -}}
{{- $_ := set $c "DicomPort" $o.dicom.port -}}
{{- $_ := set $c "DicomScpTimeout" $o.dicom.associationTimeout -}}
{{- /* Associations addressed to another AE title are refused (misrouted studies). */ -}}
{{- $_ := set $c "DicomCheckCalledAet" true -}}
{{- $_ := set $c "StrictAetComparison" true -}}
{{- /* Only registered modalities, from their registered address, may connect: a calling AE
       title is a claim anyone can make, the source address is checked as well. */ -}}
{{- $_ := set $c "DicomCheckModalityHost" true -}}
{{- /* No command is allowed to unknown nodes; each modality gets explicit permissions. */ -}}
{{- $_ := set $c "DicomAlwaysAllowEcho" false -}}
{{- $_ := set $c "DicomAlwaysAllowStore" false -}}
{{- $_ := set $c "DicomAlwaysAllowFind" false -}}
{{- $_ := set $c "DicomAlwaysAllowFindWorklist" false -}}
{{- $_ := set $c "DicomAlwaysAllowGet" false -}}
{{- $_ := set $c "DicomAlwaysAllowMove" false -}}
{{- $_ := set $c "UnknownSopClassAccepted" false -}}
{{- /* Modalities and peers come from this file only: the REST API cannot persist new ones. */ -}}
{{- $_ := set $c "DicomModalitiesInDatabase" false -}}
{{- $_ := set $c "DicomModalities" $modalities -}}
{{- $_ := set $c "OrthancPeersInDatabase" false -}}
{{- $_ := set $c "OrthancPeers" $peers -}}
{{- /* DICOM TLS with mutual authentication: the SCP accepts only TLS associations from
       clients whose certificate chains to the trusted CA bundle. */ -}}
{{- $_ := set $c "DicomTlsEnabled" true -}}
{{- $_ := set $c "DicomTlsCertificate" (printf "%s/%s" $paths.dicomTls $o.tls.dicom.certificateKey) -}}
{{- $_ := set $c "DicomTlsPrivateKey" (printf "%s/%s" $paths.dicomTls $o.tls.dicom.privateKeyKey) -}}
{{- $_ := set $c "DicomTlsTrustedCertificates" (printf "%s/%s" $paths.dicomTls $o.tls.dicom.caKey) -}}
{{- $_ := set $c "DicomTlsRemoteCertificateRequired" true -}}

{{- /* ---- Outbound HTTPS (peers, object storage): always verify the server certificate. */ -}}
{{- $_ := set $c "HttpsVerifyPeers" true -}}
{{- $_ := set $c "HttpsCACertificates" $outboundCa -}}

{{- /* ---- Retention and integrity ---- */ -}}
{{- /* No recycling: with a size or patient limit Orthanc deletes the OLDEST studies to make
       room. Records retention (8 years for adults, to the 25th birthday for children, 30
       years for cancer) forbids that, so both limits are 0 (unlimited) and, should one ever
       be set, the mode is Reject instead of Recycle (MaximumStorageMode: Orthanc >= 1.11). */ -}}
{{- $_ := set $c "MaximumStorageSize" 0 -}}
{{- $_ := set $c "MaximumPatientCount" 0 -}}
{{- $_ := set $c "MaximumStorageMode" "Reject" -}}
{{- /* A stored instance is never silently replaced by a later one with the same UID. */ -}}
{{- $_ := set $c "OverwriteInstances" false -}}
{{- /* MD5 of every attachment, so corruption in the object store is detectable. */ -}}
{{- $_ := set $c "StoreMD5ForAttachments" true -}}
{{- /* Optimistic locking between replicas sharing one index. */ -}}
{{- $_ := set $c "CheckRevisions" true -}}
{{- /* Bounded queries: one C-FIND/QIDO cannot return the whole archive. */ -}}
{{- $_ := set $c "LimitFindResults" $o.limits.findResults -}}
{{- $_ := set $c "LimitFindInstances" $o.limits.findInstances -}}
{{- /* Patient identifiers in C-FIND/C-GET/C-MOVE queries are removed from the logs. */ -}}
{{- $_ := set $c "DeidentifyLogs" true -}}
{{- $_ := set $c "ConcurrentJobs" $o.concurrentJobs -}}

{{- /* ---- Plugins: loaded by explicit path, so nothing else in the image is enabled. ---- */ -}}
{{- $_ := set $c "Plugins" (list
  (printf "%s/libOrthancDicomWeb.so" $paths.plugins)
  (printf "%s/libOrthancPostgreSQLIndex.so" $paths.plugins)
  (printf "%s/libOrthancAwsS3Storage.so" $paths.plugins)
) -}}
{{- $_ := set $c "DicomWeb" (dict
  "Enable" true
  "Root" $o.dicomWeb.root
  "EnableWado" $o.dicomWeb.wadoUriEnabled
  "WadoRoot" "/wado"
  "Ssl" true
) -}}
{{- /* The index only: images never go to PostgreSQL. Lock guards against two Orthancs on one
       database and must be off when several replicas share it. EnableSsl is libpq
       sslmode=require, upgraded to verify-ca by PGSSLROOTCERT (see the Deployment). */ -}}
{{- $_ := set $c "PostgreSQL" (dict
  "EnableIndex" true
  "EnableStorage" false
  "Host" $v.postgresql.host
  "Port" $v.postgresql.port
  "Database" $v.postgresql.database
  "Username" $v.postgresql.user
  "EnableSsl" true
  "Lock" (eq (int $v.replicaCount) 1)
  "IndexConnectionsCount" $v.postgresql.connections
  "MaximumConnectionRetries" 10
  "ConnectionRetryInterval" 5
) -}}
{{- /* Images are encrypted by Orthanc before upload; the S3 service sees ciphertext only.
       No AccessKey/SecretKey here: the SDK reads AWS_* variables from a Secret. */ -}}
{{- $_ := set $c "AwsS3Storage" (dict
  "BucketName" $v.objectStorage.bucket
  "Region" $v.objectStorage.region
  "Endpoint" $v.objectStorage.endpoint
  "VirtualAddressing" $v.objectStorage.virtualAddressing
  "StorageEncryption" (dict
    "Enable" true
    "MasterKey" (list $v.objectStorage.encryption.masterKey.id (printf "%s/%s" $paths.keys $v.objectStorage.encryption.masterKey.key))
    "PreviousMasterKeys" $previousKeys
  )
) -}}
{{- toPrettyJson $c -}}
{{- end -}}
