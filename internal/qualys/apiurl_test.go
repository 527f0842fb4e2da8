package qualys

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestValidateAPIURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "https://qualysapi.qg3.apps.qualys.com", want: "https://qualysapi.qg3.apps.qualys.com"},
		{in: "  https://qualysapi.qualys.com/  ", want: "https://qualysapi.qualys.com"},
		{in: "https://QualysAPI.Qualys.EU//", want: "https://qualysapi.qualys.eu"},
		{in: "https://qualysapi.qg1.apps.qualys.co.uk", want: "https://qualysapi.qg1.apps.qualys.co.uk"},
		{in: "https://qualysapi.qg1.apps.qualysksa.com", want: "https://qualysapi.qg1.apps.qualysksa.com"},
		{in: "https://qualysapi.qg2.apps.qualys.com:443", want: "https://qualysapi.qg2.apps.qualys.com:443"},
		{in: "http://localhost:8080", want: "http://localhost:8080"},
		{in: "http://127.0.0.1:38123/", want: "http://127.0.0.1:38123"},
		{in: "http://127.9.9.9", want: "http://127.9.9.9"},
		{in: "http://[::1]:9000", want: "http://[::1]:9000"},
		{in: "https://localhost", want: "https://localhost"},
		{in: "", wantErr: "empty"},
		{in: "   ", wantErr: "empty"},
		{in: "http://qualysapi.qg3.apps.qualys.com", wantErr: "https only"},
		{in: "https://qualysguard.qg3.apps.qualys.com", wantErr: "not a Qualys API host"},
		{in: "https://evil.example.com/?x=https://qualysapi.qualys.com", wantErr: "without path"},
		{in: "https://qualysapi.com", wantErr: "not a Qualys API host"},
		{in: "https://qualysapi.qualys.com.evil.example", wantErr: "not a Qualys API host"},
		{in: "https://qualysapi.example.com", wantErr: "not a Qualys API host"},
		{in: "https://qualysapi.qualys.com/api/2.0/", wantErr: "without path"},
		{in: "https://user:pw@qualysapi.qualys.com", wantErr: "credentials"},
		{in: "ftp://qualysapi.qualys.com", wantErr: "scheme"},
		{in: "qualysapi.qualys.com", wantErr: "scheme"},
		{in: "http://10.0.0.1:8080", wantErr: "https only"},
		{in: "https://10.0.0.1", wantErr: "not a Qualys API host"},
		{in: "https://qualysapi.qualys.com:99999", wantErr: "port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ValidateAPIURL(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ValidateAPIURL(%q) = %q, want an error", tt.in, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "https://qualysapi.<platform>") {
					t.Errorf("error %q should contain %q and name the accepted form", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), ":pw@") {
					t.Errorf("error shows the credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateAPIURL(%q): %v", tt.in, err)
			}
			eq(t, "url", got, tt.want)
		})
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{APIURL: "http://127.0.0.1:1", Username: "u"}); err == nil {
		t.Error("New without a password succeeded")
	}
	if _, err := New(Options{APIURL: "http://127.0.0.1:1", Password: "p"}); err == nil {
		t.Error("New without a username succeeded")
	}
	c, err := New(Options{APIURL: "http://127.0.0.1:1/", Username: "u", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.String(), testPassword) {
		t.Error("String shows the password")
	}
}

func TestOptionsMaskPassword(t *testing.T) {
	t.Parallel()
	o := Options{APIURL: "https://qualysapi.qualys.com", Username: "u", Password: testPassword}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "qualys", o)
	for what, s := range map[string]string{"String": o.String(), "%v": fmt.Sprintf("%v", o), "%+v": fmt.Sprintf("%+v", o), "slog": logged.String()} {
		if strings.Contains(s, testPassword) {
			t.Errorf("%s shows the password: %s", what, s)
		}
		if !strings.Contains(s, "qualysapi.qualys.com") {
			t.Errorf("%s lost the URL: %s", what, s)
		}
	}
}
