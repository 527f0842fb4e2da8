package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const minimal = `
instances:
  - name: prod-qualys
    qualys:
      apiUrl: https://qualysapi.qg3.apps.qualys.com/
      username: ${QUALYS_USERNAME}
      password: ${QUALYS_PASSWORD}
`

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var testEnv = env(map[string]string{"QUALYS_USERNAME": "alice", "QUALYS_PASSWORD": "s3cret!", "DAYS": "30"})

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	in := c.Instances[0]
	want := Instance{
		Name:            "prod-qualys",
		PollingInterval: OneDay,
		Qualys: Qualys{
			APIURL:                "https://qualysapi.qg3.apps.qualys.com",
			Username:              "alice",
			Password:              "s3cret!",
			UsernameFrom:          "${QUALYS_USERNAME}",
			PasswordFrom:          "${QUALYS_PASSWORD}",
			MinScannedSinceDays:   7,
			MinFindingsSinceDays:  7,
			VMDRFindingSeverities: []int{3, 4, 5},
			VMDRFindingTypes:      []string{"Potential", "Confirmed"},
			VMDRFindingStatuses:   []string{"New", "Active", "Re-Opened", "Fixed"},
			IngestWebAppScans:     true,
		},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got  %#v\nwant %#v", in, want)
	}
}

func TestParseFull(t *testing.T) {
	src := `
instances:
  - name: eu
    description: EU subscription
    pollingInterval: four_hours
    tagWithAccountName: true
    qualys:
      apiUrl: http://127.0.0.1:8080
      username: bob
      password: pw
      minScannedSinceDays: ${DAYS}
      minFindingsSinceDays: 0.5
      vmdrFindingSeverities: "1, 5"
      vmdrFindingTypes: [info, CONFIRMED]
      vmdrFindingResultQids: [38170]
      ingestWebAppScans: false
      webAppScanApplicationIds: [1, 2]
      wasFindingTypes: [vulnerability]
      includeOnlyDetectionTags: [Cloud Agent, Cloud Agent]
      production: true
`
	c, err := Parse([]byte(src), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	in := c.Instances[0]
	q := in.Qualys
	checks := []struct {
		name      string
		got, want any
	}{
		{"polling", in.PollingInterval, FourHours},
		{"tag", in.TagWithAccountName, true},
		{"url", q.APIURL, "http://127.0.0.1:8080"},
		{"scanned days", q.MinScannedSinceDays, 30.0},
		{"findings days", q.MinFindingsSinceDays, 0.5},
		{"severities", q.VMDRFindingSeverities, []int{1, 5}},
		{"types", q.VMDRFindingTypes, []string{"Info", "Confirmed"}},
		{"result qids", q.VMDRFindingResultQIDs, []int64{38170}},
		{"was", q.IngestWebAppScans, false},
		{"app ids", q.WebAppScanApplicationIDs, []int64{1, 2}},
		{"was types", q.WASFindingTypes, []string{"VULNERABILITY"}},
		{"tags", q.IncludeOnlyDetectionTags, []string{"Cloud Agent"}},
		{"production", *q.Production, true},
		{"public", q.Public, (*bool)(nil)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	base := func(qualysExtra string) string {
		return "instances:\n  - name: prod-qualys\n    qualys:\n      apiUrl: https://qualysapi.qualys.com\n      username: u\n      password: p\n" + qualysExtra
	}
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", []string{"empty"}},
		{"no instances", "instances: []\n", []string{"instances: is empty"}},
		{"unknown top key", "instance: []\n", []string{"instance: unknown key"}},
		{"unknown qualys key", base("      pasword: x\n"), []string{"instances[0].qualys.pasword: unknown key (known keys:"}},
		{"unknown instance key", "instances:\n  - name: a-b-c\n    colour: red\n    qualys: {apiUrl: 'https://qualysapi.qualys.com', username: u, password: p}\n", []string{"instances[0].colour: unknown key"}},
		{"bad url", strings.Replace(base(""), "https://qualysapi.qualys.com", "https://qualysguard.qg3.apps.qualys.com", 1), []string{"instances[0].qualys.apiUrl:", "use https://qualysapi."}},
		{"http url", strings.Replace(base(""), "https://qualysapi.qualys.com", "http://qualysapi.qualys.com", 1), []string{"instances[0].qualys.apiUrl:"}},
		{"not a url", strings.Replace(base(""), "https://qualysapi.qualys.com", "qualysapi", 1), []string{"instances[0].qualys.apiUrl:", "invalid Qualys API URL"}},
		{"negative days", base("      minScannedSinceDays: -3\n"), []string{"instances[0].qualys.minScannedSinceDays: -3 days: must be a positive"}},
		{"text days", base("      minFindingsSinceDays: week\n"), []string{`instances[0].qualys.minFindingsSinceDays: "week" is not a number`}},
		{"severity range", base("      vmdrFindingSeverities: [3, 4, 7]\n"), []string{"instances[0].qualys.vmdrFindingSeverities[2]: 7 is outside 1–5 (line 7)"}},
		{"severity zero", base("      wasFindingSeverities: [0]\n"), []string{"instances[0].qualys.wasFindingSeverities[0]: 0 is outside 1–5"}},
		{"unknown type", base("      vmdrFindingTypes: [Confirmed, Suspected]\n"), []string{`instances[0].qualys.vmdrFindingTypes[1]: unknown finding type "Suspected" (expected one of Info, Potential, Confirmed)`}},
		{"unknown status", base("      vmdrFindingStatuses: [Open]\n"), []string{`vmdrFindingStatuses[0]: unknown finding status "Open"`}},
		{"bad bool", base("      ingestWebAppScans: maybe\n"), []string{`ingestWebAppScans: "maybe" is not a boolean`}},
		{"missing env", strings.Replace(base(""), "password: p", "password: ${NOPE}", 1), []string{"instances[0].qualys.password: environment variable NOPE is not set"}},
		{"unclosed env in password", strings.Replace(base(""), "password: p", "password: ${QUALYS_PASSWORD", 1), []string{`instances[0].qualys.password: the environment reference at character 1 has no closing "}" (write ${NAME}`, `belongs in passwordFile) (line 6)`}},
		{"unclosed env after text", strings.Replace(base(""), "password: p", "password: x${QUALYS_PASSWORD", 1), []string{`instances[0].qualys.password: the environment reference at character 2 has no closing "}"`, "(line 6)"}},
		{"unclosed env in username", strings.Replace(base(""), "username: u", "username: ${QUALYS_USERNAME", 1), []string{`instances[0].qualys.username: the environment reference "${QUALYS_USERNAME" has no closing "}" (write ${NAME}`, "(line 5)"}},
		{"bad env name", strings.Replace(base(""), "username: u", "username: '${QUALYS-USER}'", 1), []string{`instances[0].qualys.username: the environment reference "${QUALYS-USER}" is not a valid ${NAME}`, "(line 5)"}},
		{"empty env name", base("      includeOnlyDetectionTags: [a, '${}']\n"), []string{`instances[0].qualys.includeOnlyDetectionTags[1]: the environment reference "${}" is not a valid ${NAME}`, "(line 7)"}},
		{"missing fields", "instances:\n  - qualys: {}\n", []string{"instances[0].name: is required", "instances[0].qualys.apiUrl: is required", "instances[0].qualys.username: is required", "instances[0].qualys.password: is required"}},
		{"missing qualys", "instances:\n  - name: abc\n", []string{"instances[0].qualys: is required"}},
		{"duplicate names", base("") + "  - name: prod-qualys\n    qualys: {apiUrl: 'https://qualysapi.qualys.com', username: u, password: p}\n", []string{`instances[1].name: "prod-qualys" is also the name of instances[0]`}},
		{"bad name", strings.Replace(base(""), "prod-qualys", "prod qualys/1", 1), []string{"instances[0].name:"}},
		{"bad polling", "instances:\n  - name: abc\n    pollingInterval: HOURLY\n    qualys: {apiUrl: 'https://qualysapi.qualys.com', username: u, password: p}\n", []string{`instances[0].pollingInterval: unknown polling interval "HOURLY"`}},
		{"bad qid", base("      vmdrFindingResultQids: [1, x]\n"), []string{`vmdrFindingResultQids[1]: "x" is not a whole number`}},
		{"list not mapping", "instances:\n  - name: abc\n    qualys: [1]\n", []string{"instances[0].qualys: must be a mapping"}},
		{"yaml syntax", "instances: [\n", []string{"parse YAML"}},
		// A tab in the indentation is reported on its own line, not on
		// the line of the value before it.
		{"tab after a value", "instances:\n  - name: lab\n    qualys:\n      username: u\n\tpassword: p\n", []string{"parse YAML: line 5: found a tab character in the indentation; indent with spaces"}},
		{"tab after a value, more spaces", "instances:\n  - name: lab\n    qualys:\n      username: u\n  \t  password: p\n", []string{"parse YAML: line 5: found a tab character"}},
		{"tab before a key", "instances:\n  - name: lab\n    qualys:\n\t  apiUrl: x\n", []string{"parse YAML: yaml: line 4: found character that cannot start any token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src), testEnv)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, err := Parse([]byte(minimal), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	in := c.Instances[0]
	for _, s := range []string{in.String(), fmt.Sprintf("%v", in), fmt.Sprintf("%#v", in.Qualys), fmt.Sprintf("%+v", c.Redacted().Instances[0])} {
		if strings.Contains(s, "s3cret!") {
			t.Errorf("password printed: %s", s)
		}
	}
	if c.Instances[0].Qualys.Password != "s3cret!" {
		t.Error("Redacted changed the original")
	}
	// A bad value next to the password must not echo the password.
	_, err = Parse([]byte(strings.Replace(minimal, "username: ${QUALYS_USERNAME}", "username: [x]", 1)), testEnv)
	if err == nil || strings.Contains(err.Error(), "s3cret!") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadFileAndPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "qgraph.yaml")
	src := strings.Replace(minimal, "password: ${QUALYS_PASSWORD}", "passwordFile: "+pw, 1)
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfg, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Instances[0].Qualys.Password; got != "from-file" {
		t.Errorf("password = %q", got)
	}
	if _, err := c.Instance("nope"); err == nil || !strings.Contains(err.Error(), "prod-qualys") {
		t.Errorf("Instance(nope) = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), testEnv); err == nil {
		t.Error("missing file loaded")
	}
}

func TestNormalizeAPIURL(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"https://qualysapi.qg3.apps.qualys.com", "https://qualysapi.qg3.apps.qualys.com", true},
		{" https://QUALYSAPI.qualys.eu/ ", "https://qualysapi.qualys.eu", true},
		{"http://localhost:8080", "http://localhost:8080", true},
		{"http://[::1]:9000", "http://[::1]:9000", true},
		{"http://127.0.0.1:1", "http://127.0.0.1:1", true},
		{"http://qualysapi.qualys.com", "", false},
		{"https://evil.example.com/qualysapi.", "", false},
		{"https://qualysapi.qualys.com/api/2.0", "", false},
		{"https://u:p@qualysapi.qualys.com", "", false},
		{"https://qualysapi", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeAPIURL(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("NormalizeAPIURL(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}

func TestBadEnvRefInPasswordNotPrinted(t *testing.T) {
	for _, pw := range []string{"s3${cret!", "s3${cret!}x${", "${s3-cret}"} {
		src := strings.Replace(minimal, "password: ${QUALYS_PASSWORD}", "password: '"+pw+"'", 1)
		_, err := Parse([]byte(src), testEnv)
		if err == nil {
			t.Fatalf("password %q: no error", pw)
		}
		if strings.Contains(err.Error(), "cret") || !strings.Contains(err.Error(), "instances[0].qualys.password: the environment reference at character 3") &&
			!strings.Contains(err.Error(), "instances[0].qualys.password: the environment reference at character 1") {
			t.Errorf("password %q: error %q", pw, err)
		}
	}
}

// TestLoadForListing checks that a listing needs neither the credentials'
// variables nor the passwordFile, says where they come from, and still
// reports every other problem; Load still requires them.
func TestLoadForListing(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name                   string
		src                    string
		env                    map[string]string
		wantUser, wantUserFrom string
		wantPw, wantPwFrom     string
		wantErr                string // of LoadForListing; "" for none
		wantLoadErr            string // of Load; "" for none
	}{
		{name: "variables unset", src: minimal, env: nil,
			wantUserFrom: "${QUALYS_USERNAME}", wantPwFrom: "${QUALYS_PASSWORD}",
			wantLoadErr: "instances[0].qualys.username: environment variable QUALYS_USERNAME is not set"},
		{name: "password variable unset", src: minimal, env: map[string]string{"QUALYS_USERNAME": "alice"},
			wantUser: "alice", wantUserFrom: "${QUALYS_USERNAME}", wantPwFrom: "${QUALYS_PASSWORD}",
			wantLoadErr: "instances[0].qualys.password: environment variable QUALYS_PASSWORD is not set"},
		{name: "variables set", src: minimal, env: map[string]string{"QUALYS_USERNAME": "alice", "QUALYS_PASSWORD": "s3cret!"},
			wantUser: "alice", wantUserFrom: "${QUALYS_USERNAME}", wantPw: "s3cret!", wantPwFrom: "${QUALYS_PASSWORD}"},
		{name: "written in the file", src: strings.NewReplacer("${QUALYS_USERNAME}", "bob", "${QUALYS_PASSWORD}", "pw").Replace(minimal),
			wantUser: "bob", wantPw: "pw"},
		{name: "missing passwordFile", src: strings.Replace(minimal, "password: ${QUALYS_PASSWORD}", "passwordFile: "+filepath.Join(dir, "nope"), 1),
			env: map[string]string{"QUALYS_USERNAME": "alice"}, wantUser: "alice", wantUserFrom: "${QUALYS_USERNAME}", wantPwFrom: "passwordFile " + filepath.Join(dir, "nope"),
			wantLoadErr: "instances[0].qualys.passwordFile: read " + filepath.Join(dir, "nope")},
		{name: "other errors still count", src: minimal + "      vmdrFindingSeverities: [9]\n",
			wantErr: "instances[0].qualys.vmdrFindingSeverities[0]: 9 is outside 1–5", wantLoadErr: "9 is outside 1–5"},
		{name: "unclosed reference still counts", src: strings.Replace(minimal, "${QUALYS_PASSWORD}", "${QUALYS_PASSWORD", 1),
			wantErr: `instances[0].qualys.password: the environment reference at character 1 has no closing "}"`, wantLoadErr: "no closing"},
		{name: "missing password still counts", src: strings.Replace(minimal, "      password: ${QUALYS_PASSWORD}\n", "", 1),
			wantErr: "instances[0].qualys.password: is required", wantLoadErr: "is required"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("c%d.yaml", i))
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadForListing(path, env(tc.env))
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("LoadForListing error %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("LoadForListing: %v", err)
			default:
				q := c.Instances[0].Qualys
				if q.Username != tc.wantUser || q.UsernameFrom != tc.wantUserFrom || q.Password != tc.wantPw || q.PasswordFrom != tc.wantPwFrom {
					t.Errorf("username %q from %q, password %q from %q; want %q from %q, %q from %q",
						q.Username, q.UsernameFrom, q.Password, q.PasswordFrom, tc.wantUser, tc.wantUserFrom, tc.wantPw, tc.wantPwFrom)
				}
			}
			_, err = Load(path, env(tc.env))
			if (tc.wantLoadErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantLoadErr) {
				t.Errorf("Load error %v, want %q", err, tc.wantLoadErr)
			}
		})
	}
}
