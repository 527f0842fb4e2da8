package qualysint

import (
	"strconv"

	"github.com/qgraph/qgraph/internal/graph"
)

// Entity types of the Qualys graph.
const (
	TypeAccount     = "qualys_account"
	TypeVMDR        = "qualys_vulnerability_manager"
	TypeWAS         = "qualys_web_app_scanner"
	TypeHostFinding = "qualys_host_finding"
	TypeWebFinding  = "qualys_web_app_finding"
	TypeVuln        = "qualys_vuln"
	TypeCVE         = "cve"
	TypeWebApp      = "web_app"

	TypeDiscoveredHost = "discovered_host"
	TypeAWSInstance    = "aws_instance"
	TypeGCPInstance    = "google_compute_instance"
	TypeAzureVM        = "azure_vm"
)

// Relationship classes.
const (
	ClassHas        = "HAS"
	ClassScans      = "SCANS"
	ClassIdentified = "IDENTIFIED"
	ClassIs         = "IS"
)

// Fixed keys of the service entities.
const (
	KeyVMDR = "qualys-service:vmdr"
	KeyWAS  = "qualys-service:was"
)

// HostTypes are the entity types a scanned host can have.
var HostTypes = []string{TypeDiscoveredHost, TypeAWSInstance, TypeGCPInstance, TypeAzureVM}

// Relationship types, derived with graph.RelationshipType.
var (
	RelAccountHasVMDR    = graph.RelationshipType(TypeAccount, ClassHas, TypeVMDR)
	RelAccountHasWAS     = graph.RelationshipType(TypeAccount, ClassHas, TypeWAS)
	RelVMDRIdentified    = graph.RelationshipType(TypeVMDR, ClassIdentified, TypeHostFinding)
	RelHostFindingIsVuln = graph.RelationshipType(TypeHostFinding, ClassIs, TypeVuln)
	RelHostFindingIsCVE  = graph.RelationshipType(TypeHostFinding, ClassIs, TypeCVE)
	RelWASScansWebApp    = graph.RelationshipType(TypeWAS, ClassScans, TypeWebApp)
	RelWASIdentified     = graph.RelationshipType(TypeWAS, ClassIdentified, TypeWebFinding)
	RelWebAppHasFinding  = graph.RelationshipType(TypeWebApp, ClassHas, TypeWebFinding)
	RelWebFindingIsVuln  = graph.RelationshipType(TypeWebFinding, ClassIs, TypeVuln)
	RelWebFindingIsCVE   = graph.RelationshipType(TypeWebFinding, ClassIs, TypeCVE)
	relVMDRScans         = typesFor(func(h string) string { return graph.RelationshipType(TypeVMDR, ClassScans, h) })
	relHostHasFinding    = typesFor(func(h string) string { return graph.RelationshipType(h, ClassHas, TypeHostFinding) })
	hostScansTypes       = values(relVMDRScans)
	hostHasFindingTypes  = values(relHostHasFinding)
	hostFindingStepTypes = append([]string{TypeHostFinding, RelVMDRIdentified, RelHostFindingIsVuln}, hostHasFindingTypes...)
	webFindingStepTypes  = []string{TypeWebFinding, RelWASIdentified, RelWebAppHasFinding, RelWebFindingIsVuln}
	vulnStepTypes        = []string{TypeVuln, RelHostFindingIsCVE, RelWebFindingIsCVE}
	accountStepTypes     = []string{TypeAccount}
	servicesStepTypes    = []string{TypeVMDR, TypeWAS, RelAccountHasVMDR, RelAccountHasWAS}
	webAppStepTypes      = []string{TypeWebApp, RelWASScansWebApp}
)

func typesFor(f func(hostType string) string) map[string]string {
	m := make(map[string]string, len(HostTypes))
	for _, h := range HostTypes {
		m[h] = f(h)
	}
	return m
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, h := range HostTypes {
		out = append(out, m[h])
	}
	return out
}

// AccountKey is the _key of an instance's account entity.
func AccountKey(instance string) string { return "qualys-account:" + instance }

// vulnKeyPrefix starts the _key of every qualys_vuln.
const vulnKeyPrefix = "vuln-qid:"

// VulnKey is the _key of a KnowledgeBase vulnerability.
func VulnKey(qid int64) string { return vulnKeyPrefix + strconv.FormatInt(qid, 10) }

// WebAppKey is the _key of a web application.
func WebAppKey(id int64) string { return "qualys-web-app:" + strconv.FormatInt(id, 10) }

// DiscoveredHostKey is the _key of a host known only to Qualys.
func DiscoveredHostKey(qwebHostID int64) string { return "Host:" + strconv.FormatInt(qwebHostID, 10) }

// HostFindingKey builds a host finding's _key from its identifying parts:
// hostId:<id>|port:<p>|protocol:<proto>|qid:<qid>|ssl:<0/1>, leaving out
// the parts without a value. The detection type is not part of the key.
func HostFindingKey(hostID int64, port *int64, protocol string, qid int64, ssl *bool) string {
	b := make([]byte, 0, 64)
	b = append(b, "hostId:"...)
	b = strconv.AppendInt(b, hostID, 10)
	if port != nil {
		b = append(b, "|port:"...)
		b = strconv.AppendInt(b, *port, 10)
	}
	if protocol != "" {
		b = append(b, "|protocol:"...)
		b = append(b, protocol...)
	}
	b = append(b, "|qid:"...)
	b = strconv.AppendInt(b, qid, 10)
	if ssl != nil {
		if *ssl {
			b = append(b, "|ssl:1"...)
		} else {
			b = append(b, "|ssl:0"...)
		}
	}
	return string(b)
}
