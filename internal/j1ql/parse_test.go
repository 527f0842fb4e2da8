package j1ql

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	valids := []struct{ src, want string }{
		{"find host", "FIND host"},
		{"Find User that IS Person", "FIND User THAT IS Person"},
		{`"127.0.0.1" with _class='Host'`, "FIND '127.0.0.1' WITH _class = 'Host'"},
		{"FIND (Host | Device) WITH a=1 OR b=2 AND c=3", "FIND (Host|Device) WITH a = 1 OR b = 2 AND c = 3"},
		{"FIND * WITH(_class='Host' OR _class='Device') AND x != undefined", "FIND * WITH (_class = 'Host' OR _class = 'Device') AND x != undefined"},
		{"FIND x WITH s ~= (\"a\" AND 'b') AND n = (7 or 8)", "FIND x WITH s ~= ('a' AND 'b') AND n = (7 OR 8)"},
		{"FIND x WITH t > date.now -7days AND u < date.now-24hr", "FIND x WITH t > date.now - 7 days AND u < date.now - 24 hr"},
		{"FIND x WITH d > date(2019-10-30)", "FIND x WITH d > date(2019-10-30)"},
		{"FIND x WITH name = /admin\\/x/i", "FIND x WITH name = /admin\\/x/i"},
		{"FIND x THAT !(PROTECTS|MONITORS) << HostAgent", "FIND x THAT !(PROTECTS|MONITORS) << HostAgent"},
		{"FIND * THAT ALLOWS >> AS r * WHERE r.ingress=true", "FIND * THAT ALLOWS >> AS r * WHERE r.ingress = true"},
		{"FIND User THAT CONTRIBUTES TO CodeRepo THAT RELATES TO << *", "FIND User THAT CONTRIBUTES CodeRepo THAT RELATES TO << *"},
		{"FIND User (that IS Person AS p)? as up RETURN up, p.email", "FIND User (THAT IS Person AS p)? AS up RETURN up, p.email"},
		{"FIND a AS x RETURN x.*, x.[odd name] AS 'Odd', count (x) AS n ORDER BY n DESC, 'Odd' SKIP 2 LIMIT 5",
			"FIND a AS x RETURN x.*, x.[odd name] AS 'Odd', count(x) AS n ORDER BY n DESC, 'Odd' SKIP 2 LIMIT 5"},
		{"FIND a /* c */ AS /* d */ x RETURN TREE", "FIND a AS x RETURN TREE"},
		{"FIND #CriticalAsset", "FIND #CriticalAsset"},
		{"FIND #Sev1 DataStore", "FIND #Sev1 DataStore"},
		{"FIND a WITH x = ${ param.url }", "FIND a WITH x = ${param.url}"},
		{"FIND a AS y RETURN (y.a - y.b) / (3600000 * 24) AS d, y.p ^ 2", "FIND a AS y RETURN (y.a - y.b) / (3600000 * 24) AS d, y.p ^ 2"},
	}
	for _, c := range valids {
		t.Run(c.src, func(t *testing.T) {
			q, err := Parse(c.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.String(); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	invalids := []struct{ src, want string }{
		{"", `1:1: expected "FIND", found end of query`},
		{"FIND", `1:5: expected a class, a type, "*" or "(", found end of query`},
		{"FIND Host THAT", "1:15: expected a relationship verb, found end of query"},
		{"FIND Host THAT >> HAS Finding", `1:16: expected a relationship verb, found ">>"`},
		{"FIND Host\nWITH open ==", "2:12: expected a property or a value, found \"=\""},
		{"FIND Host WITH x = 1 AND", "1:25: expected a property or a value, found end of query"},
		{"FIND Host WITH a = AND b = 1", `1:20: expected a property or a value, found "AND"`},
		{"FIND Host WITH x 1", `1:18: expected a comparison operator (= != > >= < <= ~= ^= $= !~= !^= !$=), found "1"`},
		{"FIND Host AS h WITH x = 1", `1:16: expected "THAT", "(", "WHERE", "RETURN", "ORDER BY", "LIMIT" or end of query, found "WITH" (a WITH filter comes before the AS alias)`},
		{"FIND Host AS with", `1:14: expected an alias name, found "with"`},
		{"FIND Host WITH x = 'abc", "1:20: string not terminated: expected '"},
		{"FIND Host WITH x = “a”", "1:20: typographic quote '“': use ' or \""},
		{"FIND Host WITH x = {{name}}", "1:20: placeholder {{name}} must be substituted before the query runs"},
		{"FIND Host WITH x > date.now - 3 weeks", `1:33: expected a date unit (hours, days, months or years), found "weeks"`},
		{"FIND Host WITH x > date(2019-13-01)", `1:25: bad date "2019-13-01"`},
		{"FIND Host LIMIT 0", "1:17: LIMIT must be a whole number between 1 and 100000, found 0"},
		{"FIND Host WITH x = ('a' OR 'b' AND 'c')", "1:32: a value set joins its values with OR or with AND, not both"},
		{"FIND Host (THAT HAS Finding)", `1:29: expected "?" after an optional group, found end of query`},
		{"FIND Host RETURN", "1:17: expected a value to return, found end of query"},
		{"FIND Host /* open", "1:11: comment not terminated"},
		{"FIND Host RETURN h.x ORDER h.x", `1:28: expected "BY", found "h"`},
		// Broken queries from public files (spec §8.10) fail with a position.
		{"FIND orca_account mfaEnabled != true", `1:19: expected "THAT", "(", "WHERE", "RETURN", "ORDER BY", "LIMIT" or end of query, found "mfaEnabled"`},
		{"FIND r RETURN sqrt((5 - r.impact)^2 + (5 - r.probability)^2)) as score", `1:61: expected ",", "ORDER BY", "LIMIT" or end of query, found ")"`},
		{"FIND p RETURN merge(p.email, p.x) AS “Email List”", "1:38: typographic quote '“': use ' or \""},
		// Columns count characters, not bytes: 日本語 is 3 columns (9 bytes),
		// é and ü one each (2 bytes), 🙂 one (4 bytes).
		{"FIND Host WITH name = '日本語' AND x ==", `1:36: expected a property or a value, found "="`},
		{"FIND Host WITH name = 'é'\nAND x = 'ü' AND y ==", `2:20: expected a property or a value, found "="`},
		{"FIND Host WITH name = '🙂' AND ±", "1:31: unexpected character '±'"},
		{"FIND Host WITH name = 'ä' AND y = “a”", "1:35: typographic quote '“': use ' or \""},
		{"FIND Host AS 主机 RETURN 主机.name", "1:14: unexpected character '主'"},
		{"FIND Host WITH name = '日本' RETURN TREE Host", `1:40: expected ",", "ORDER BY", "LIMIT" or end of query, found "Host"`},
	}
	for _, c := range invalids {
		t.Run(c.src, func(t *testing.T) {
			_, err := Parse(c.src)
			if err == nil {
				t.Fatal("no error")
			}
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v is not an ErrorList", err, err)
			}
			if !strings.HasPrefix(list[0].Error(), c.want) {
				t.Errorf("got  %s\nwant %s", list[0].Error(), c.want)
			}
		})
	}
}

func TestParseStopsAfterTooManyErrors(t *testing.T) {
	src := strings.Repeat("FIND ~\n", 40)
	_, err := Parse(src)
	list, ok := err.(ErrorList)
	if !ok || len(list) == 0 || len(list) > maxErrors {
		t.Fatalf("got %d errors (%v), want 1..%d", len(list), err, maxErrors)
	}
}
