package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/parashift-mock/parashift-mock/scenarios"
)

func TestScenariosListsCatalog(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"scenarios"}, &stdout, &stderr); err != nil {
		t.Fatalf("scenarios: %v", err)
	}
	for _, sc := range scenarios.Catalog() {
		line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sc.Name) + ` +` + regexp.QuoteMeta(sc.Summary()) + `$`)
		if !line.MatchString(stdout.String()) {
			t.Errorf("scenarios output has no line for %s with its summary:\n%s", sc.Name, stdout.String())
		}
	}
}

func TestScenariosPrintsOne(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"scenarios", "lost-terminal"}, &stdout, &stderr); err != nil {
		t.Fatalf("scenarios lost-terminal: %v", err)
	}
	want, _ := scenarios.Source("lost-terminal")
	if stdout.String() != string(want) {
		t.Errorf("scenarios lost-terminal printed:\n%s\nwant the scenario's file:\n%s", stdout.String(), want)
	}
	if _, err := scenarios.Parse("printed.yaml", stdout.Bytes()); err != nil {
		t.Errorf("the printed scenario does not parse: %v", err)
	}
}

func TestScenariosErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown name", []string{"scenarios", "lost"}, `no built-in scenario is named "lost": use one of happy-path`},
		{"two names", []string{"scenarios", "burst", "duplicates"}, "at most one name, got 2 arguments"},
		{"unknown flag", []string{"scenarios", "--all"}, "flag provided but not defined: --all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assertUsageError(t, run(context.Background(), tt.args, &stdout, &stderr), tt.want)
		})
	}
}

func TestScenariosHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"scenarios", "-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("scenarios -h: %v", err)
	}
	if !strings.Contains(stdout.String(), "Usage:\n  parashift-mock scenarios [name]") {
		t.Errorf("scenarios -h printed %q, want its usage", stdout.String())
	}
}
