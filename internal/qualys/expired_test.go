package qualys

import "testing"

func TestAPIErrorIsExpired(t *testing.T) {
	tests := []struct {
		name string
		err  APIError
		want bool
	}{
		{name: "FO code 2001", err: APIError{StatusCode: 200, Code: 2001}, want: true},
		{name: "QPS EVALUATION_EXPIRED", err: APIError{StatusCode: 200, ResponseCode: "EVALUATION_EXPIRED"}, want: true},
		{name: "bad login", err: APIError{StatusCode: 401, Code: 2000}},
		{name: "QPS INVALID_CREDENTIALS", err: APIError{StatusCode: 200, ResponseCode: "INVALID_CREDENTIALS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.IsExpired(); got != tt.want {
				t.Errorf("IsExpired = %v, want %v", got, tt.want)
			}
			if !tt.err.IsAuth() {
				t.Error("IsAuth = false; an expired or refused account is an authentication failure")
			}
		})
	}
}
