package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/qgraph/qgraph/internal/qualys"
)

// Load reads and validates the configuration file at path. getenv resolves
// ${NAME} references (os.Getenv in production). The error lists every
// problem found, each naming its field.
func Load(path string, getenv func(string) string) (*Config, error) {
	return load(path, getenv, parseMode{instances: true})
}

// LoadMappingRules reads only the mappingRules section of the
// configuration file at path, for commands that run the mapper but read no
// Qualys instance (upload): the instances are neither checked nor
// required, so their secrets need not be set. The returned Config has no
// instances.
func LoadMappingRules(path string, getenv func(string) string) (*Config, error) {
	return load(path, getenv, parseMode{})
}

// LoadForListing reads the configuration file at path like Load, for
// commands that show the instances but send no request (instances list):
// a username or password whose environment variable is unset, and a
// passwordFile, are not read and not required. Such a value is left empty,
// and Qualys.UsernameFrom or PasswordFrom says where it would come from.
// The returned Config must not be used to connect.
func LoadForListing(path string, getenv func(string) string) (*Config, error) {
	return load(path, getenv, parseMode{instances: true, listing: true})
}

// parseMode says what parse reads: the instances (else only the mapping
// rules), and whether for a listing only (see LoadForListing).
type parseMode struct {
	instances bool
	listing   bool
}

func load(path string, getenv func(string) string, mode parseMode) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := parse(data, getenv, mode)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Parse validates a configuration held in memory; see Load.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	return parse(data, getenv, parseMode{instances: true})
}

// ParseMappingRules validates the mappingRules section of a configuration
// held in memory; see LoadMappingRules.
func ParseMappingRules(data []byte, getenv func(string) string) (*Config, error) {
	return parse(data, getenv, parseMode{})
}

// topKeys are the keys of the file's top level.
var topKeys = []string{"instances", "mappingRules"}

// parse decodes the file; mode.instances false skips the instances.
func parse(data []byte, getenv func(string) string, mode parseMode) (*Config, error) {
	withInstances := mode.instances
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			if !withInstances {
				return &Config{}, nil
			}
			return nil, errors.New("the file is empty; it needs an instances list")
		}
		return nil, fmt.Errorf("parse YAML: %w", tabLine(data, err))
	}
	d := &decoder{getenv: getenv, listing: mode.listing}
	c := &Config{}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	var instances, rules *yaml.Node
	d.mapping(doc, "", topKeys, func(key string, v *yaml.Node, path string) {
		switch key {
		case "instances":
			instances = v
		case "mappingRules":
			rules = v
		}
	})
	switch {
	case !withInstances:
	case isNull(instances):
		d.fail(doc, "instances", "is required: list at least one instance")
	case instances.Kind != yaml.SequenceNode:
		d.fail(instances, "instances", "must be a list of instances")
	default:
		names := map[string]string{}
		for i, n := range instances.Content {
			path := fmt.Sprintf("instances[%d]", i)
			in := d.instance(n, path)
			if prev, dup := names[in.Name]; dup && in.Name != "" {
				d.fail(n, path+".name", "%q is also the name of %s", in.Name, prev)
			}
			names[in.Name] = path
			c.Instances = append(c.Instances, in)
		}
		if len(instances.Content) == 0 {
			d.fail(instances, "instances", "is empty: list at least one instance")
		}
	}
	c.MappingRules = d.mappingRules(rules)
	if err := errors.Join(d.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

var instanceKeys = []string{"name", "description", "pollingInterval", "tagWithAccountName", "qualys"}

var qualysKeys = []string{
	"apiUrl", "username", "password", "passwordFile",
	"minScannedSinceDays", "minFindingsSinceDays",
	"vmdrFindingSeverities", "vmdrFindingTypes", "vmdrFindingStatuses", "vmdrFindingResultQids",
	"ingestWebAppScans", "webAppScanApplicationIds", "wasFindingSeverities", "wasFindingTypes",
	"includeOnlyDetectionTags", "production", "public",
}

// Allowed values of the enumerated settings.
var (
	findingTypes    = []string{"Info", "Potential", "Confirmed"}
	findingStatuses = []string{"New", "Active", "Re-Opened", "Fixed"}
	wasFindingTypes = []string{"VULNERABILITY", "SENSITIVE_CONTENT", "INFORMATION_GATHERED"}
)

var instanceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (d *decoder) instance(n *yaml.Node, path string) Instance {
	in := Instance{PollingInterval: defaultPolling}
	var qualysNode *yaml.Node
	d.mapping(n, path, instanceKeys, func(key string, v *yaml.Node, p string) {
		switch key {
		case "name":
			in.Name = d.str(v, p)
		case "description":
			in.Description = d.str(v, p)
		case "pollingInterval":
			s := strings.ToUpper(d.str(v, p))
			if s == "" {
				return
			}
			if _, ok := pollingDurations[PollingInterval(s)]; !ok {
				d.fail(v, p, "unknown polling interval %q (expected one of DISABLED, THIRTY_MINUTES, ONE_HOUR, FOUR_HOURS, EIGHT_HOURS, TWELVE_HOURS, ONE_DAY, ONE_WEEK)", s)
				return
			}
			in.PollingInterval = PollingInterval(s)
		case "tagWithAccountName":
			in.TagWithAccountName, _ = d.boolean(v, p)
		case "qualys":
			qualysNode = v
		}
	})
	switch {
	case in.Name == "":
		d.fail(n, path+".name", "is required")
	case !instanceNameRE.MatchString(in.Name):
		d.fail(n, path+".name", "%q may hold only letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit)", in.Name)
	}
	if isNull(qualysNode) {
		d.fail(n, path+".qualys", "is required")
		return in
	}
	in.Qualys = d.qualys(qualysNode, path+".qualys")
	return in
}

func (d *decoder) qualys(n *yaml.Node, path string) Qualys {
	q := Qualys{
		MinScannedSinceDays:  DefaultDays,
		MinFindingsSinceDays: DefaultDays,
		IngestWebAppScans:    true,
	}
	var passwordFile string
	d.mapping(n, path, qualysKeys, func(key string, v *yaml.Node, p string) {
		switch key {
		case "apiUrl":
			raw := d.str(v, p)
			if raw == "" {
				return
			}
			u, err := NormalizeAPIURL(raw)
			if err != nil {
				d.fail(v, p, "%v", err)
				return
			}
			q.APIURL = u
		case "username":
			q.Username = d.credential(v, p, &q.UsernameFrom)
		case "password":
			q.Password = d.credential(v, p, &q.PasswordFrom)
		case "passwordFile":
			passwordFile = d.str(v, p)
		case "minScannedSinceDays", "minFindingsSinceDays":
			days, ok := d.number(v, p)
			if !ok {
				return
			}
			if days <= 0 || math.IsInf(days, 0) || math.IsNaN(days) {
				d.fail(v, p, "%v days: must be a positive number of days", days)
				return
			}
			if key == "minScannedSinceDays" {
				q.MinScannedSinceDays = days
			} else {
				q.MinFindingsSinceDays = days
			}
		case "vmdrFindingSeverities":
			q.VMDRFindingSeverities, _ = d.severities(v, p)
		case "vmdrFindingTypes":
			q.VMDRFindingTypes, _ = d.enumList(v, p, "finding type", findingTypes)
		case "vmdrFindingStatuses":
			q.VMDRFindingStatuses, _ = d.enumList(v, p, "finding status", findingStatuses)
		case "vmdrFindingResultQids":
			q.VMDRFindingResultQIDs, _ = d.intList(v, p)
		case "ingestWebAppScans":
			if b, ok := d.boolean(v, p); ok {
				q.IngestWebAppScans = b
			}
		case "webAppScanApplicationIds":
			q.WebAppScanApplicationIDs, _ = d.intList(v, p)
		case "wasFindingSeverities":
			q.WASFindingSeverities, _ = d.severities(v, p)
		case "wasFindingTypes":
			q.WASFindingTypes, _ = d.enumList(v, p, "web-app finding type", wasFindingTypes)
		case "includeOnlyDetectionTags":
			q.IncludeOnlyDetectionTags = d.strList(v, p)
		case "production", "public":
			if b, ok := d.boolean(v, p); ok {
				if key == "production" {
					q.Production = &b
				} else {
					q.Public = &b
				}
			}
		}
	})
	switch {
	case passwordFile == "":
	case q.Password != "" || q.PasswordFrom != "":
		d.fail(n, path+".passwordFile", "give either password or passwordFile, not both")
	case d.listing:
		// Not read: a listing only says where the password comes from.
		q.PasswordFrom = "passwordFile " + passwordFile
	default:
		q.PasswordFrom = "passwordFile " + passwordFile
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			d.fail(n, path+".passwordFile", "read %s: %v", passwordFile, errors.Unwrap(err))
			break
		}
		q.Password = strings.TrimRight(string(b), "\r\n")
	}
	if q.APIURL == "" && !d.failedAt(path+".apiUrl") {
		d.fail(n, path+".apiUrl", "is required, e.g. https://qualysapi.qg3.apps.qualys.com")
	}
	if q.Username == "" && !d.failedAt(path+".username") && !(d.listing && q.UsernameFrom != "") {
		d.fail(n, path+".username", "is required")
	}
	if q.Password == "" && !d.failedAt(path+".password") && !d.failedAt(path+".passwordFile") && !(d.listing && q.PasswordFrom != "") {
		d.fail(n, path+".password", "is required (or passwordFile)")
	}
	if len(q.VMDRFindingSeverities) == 0 {
		q.VMDRFindingSeverities = append([]int(nil), DefaultSeverities...)
	}
	if len(q.VMDRFindingTypes) == 0 {
		q.VMDRFindingTypes = append([]string(nil), DefaultFindingTypes...)
	}
	if len(q.VMDRFindingStatuses) == 0 {
		q.VMDRFindingStatuses = append([]string(nil), DefaultFindingStatuses...)
	}
	return q
}

// yamlLine matches the line number at the start of a YAML syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// tabLine corrects the line of a YAML error about a tab in the
// indentation. The YAML library reports the line where the value before
// the tab starts, often the line above the tab; the tab is on the first
// line from there whose indentation holds one. Other errors are returned
// as they are.
func tabLine(data []byte, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil || !strings.Contains(err.Error(), "tab character") {
		return err
	}
	from, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	for i := from - 1; i >= 0 && i < len(lines); i++ {
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
		if strings.Contains(indent, "\t") {
			return fmt.Errorf("line %d: found a tab character in the indentation; indent with spaces", i+1)
		}
	}
	return err
}

// failedAt reports whether an error was already recorded for path.
func (d *decoder) failedAt(path string) bool {
	for _, e := range d.errs {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Path == path {
			return true
		}
	}
	return false
}

// NormalizeAPIURL checks a Qualys API URL and returns it without trailing
// slashes, with the rules of qualys.ValidateAPIURL: https on a Qualys API
// host (qualysapi.<platform>), or http/https on a loopback address for the
// simulator and tests.
func NormalizeAPIURL(raw string) (string, error) {
	u, err := qualys.ValidateAPIURL(raw)
	if err != nil {
		return "", err
	}
	return u, nil
}
