package mockplatform

import (
	"fmt"
	"strings"
)

// Topic is the value of a webhook payload's "topic" member. Each topic
// marks one step of the platform's document workflow.
type Topic string

// The topics in workflow order. The ready-for-… topics fire when a
// document enters a manual validation queue at that level.
const (
	TopicDocumentReceived    Topic = "document-received"
	TopicPreprocessingDone   Topic = "preprocessing-done"
	TopicAutoSeparationDone  Topic = "automatic-separation-done"
	TopicSeparationFirst     Topic = "ready-for-separation-first-level"
	TopicSeparationSecond    Topic = "ready-for-separation-second-level"
	TopicSeparationThird     Topic = "ready-for-separation-third-level"
	TopicSeparationQC        Topic = "ready-for-separation-qc"
	TopicSeparationDone      Topic = "separation-done"
	TopicAutoClassification  Topic = "automatic-classification-done"
	TopicClassificationFirst Topic = "ready-for-classification-first-level"
	TopicClassificationSec   Topic = "ready-for-classification-second-level"
	TopicClassificationThird Topic = "ready-for-classification-third-level"
	TopicClassificationQC    Topic = "ready-for-classification-qc"
	TopicClassificationDone  Topic = "classification-done"
	TopicAutoExtractionDone  Topic = "automatic-extraction-done"
	TopicExtractionFirst     Topic = "ready-for-extraction-first-level"
	TopicExtractionSecond    Topic = "ready-for-extraction-second-level"
	TopicExtractionThird     Topic = "ready-for-extraction-third-level"
	TopicExtractionQC        Topic = "ready-for-extraction-qc"
	TopicExtractionDone      Topic = "extraction-done"
	TopicProcessingFinished  Topic = "processing-finished"
	TopicProcessingFailed    Topic = "processing-failed"
)

// Stage is a document's workflow_step: the part of the workflow it is in.
type Stage string

// The stages in workflow order.
const (
	StageInbound        Stage = "inbound"
	StageSeparation     Stage = "separation"
	StageClassification Stage = "classification"
	StageExtraction     Stage = "extraction"
	StageOutbound       Stage = "outbound"
)

// Stages lists the stages in workflow order.
var Stages = []Stage{StageInbound, StageSeparation, StageClassification, StageExtraction, StageOutbound}

// Status is a document's processing status as the REST API and the
// webhook payload report it.
type Status string

// The statuses the platform reports.
const (
	StatusPending    Status = "pending"
	StatusInProgress Status = "in_progress"
	StatusDone       Status = "done"
	StatusFailed     Status = "failed"
)

// Terminal reports whether no further topic follows a document in this
// status.
func (s Status) Terminal() bool { return s == StatusDone || s == StatusFailed }

// Level is a manual validation level inside the separation,
// classification and extraction stages.
type Level string

// The manual levels in the order a document passes them.
const (
	LevelFirst  Level = "first"
	LevelSecond Level = "second"
	LevelThird  Level = "third"
	LevelQC     Level = "qc"
)

// Levels lists the manual levels in the order a document passes them.
var Levels = []Level{LevelFirst, LevelSecond, LevelThird, LevelQC}

// topicInfo describes where a topic sits in the workflow.
type topicInfo struct {
	stage  Stage
	status Status
}

// Topics lists every topic in workflow order.
var Topics = []Topic{
	TopicDocumentReceived, TopicPreprocessingDone,
	TopicAutoSeparationDone, TopicSeparationFirst, TopicSeparationSecond,
	TopicSeparationThird, TopicSeparationQC, TopicSeparationDone,
	TopicAutoClassification, TopicClassificationFirst, TopicClassificationSec,
	TopicClassificationThird, TopicClassificationQC, TopicClassificationDone,
	TopicAutoExtractionDone, TopicExtractionFirst, TopicExtractionSecond,
	TopicExtractionThird, TopicExtractionQC, TopicExtractionDone,
	TopicProcessingFinished, TopicProcessingFailed,
}

var topicTable = func() map[Topic]topicInfo {
	t := make(map[Topic]topicInfo, len(Topics))
	t[TopicDocumentReceived] = topicInfo{StageInbound, StatusPending}
	t[TopicPreprocessingDone] = topicInfo{StageInbound, StatusInProgress}
	for _, s := range []Stage{StageSeparation, StageClassification, StageExtraction} {
		t[autoTopic(s)] = topicInfo{s, StatusInProgress}
		for _, l := range Levels {
			t[readyTopic(s, l)] = topicInfo{s, StatusInProgress}
		}
		t[doneTopic(s)] = topicInfo{s, StatusInProgress}
	}
	t[TopicProcessingFinished] = topicInfo{StageOutbound, StatusDone}
	t[TopicProcessingFailed] = topicInfo{StageOutbound, StatusFailed}
	return t
}()

// Stage returns the workflow stage the topic belongs to, or "" for an
// unknown topic.
func (t Topic) Stage() Stage { return topicTable[t].stage }

// Status returns the document status at the moment the topic fires, or ""
// for an unknown topic.
func (t Topic) Status() Status { return topicTable[t].status }

// Known reports whether t is one of the platform's topics.
func (t Topic) Known() bool {
	_, ok := topicTable[t]
	return ok
}

// ParseTopic returns the topic named s. The error lists the valid topics.
func ParseTopic(s string) (Topic, error) {
	t := Topic(strings.TrimSpace(s))
	if !t.Known() {
		return "", fmt.Errorf("unknown topic %q: valid topics are %s", s, topicList())
	}
	return t, nil
}

func topicList() string {
	names := make([]string, len(Topics))
	for i, t := range Topics {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// ParseStage returns the stage named s. The error lists the valid stages.
func ParseStage(s string) (Stage, error) {
	for _, st := range Stages {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown stage %q: valid stages are inbound, separation, classification, extraction, outbound", s)
}

// ParseLevel returns the manual level named s. The error lists the valid
// levels.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown manual level %q: valid levels are first, second, third, qc", s)
}

// autoTopic returns the topic fired when the machine finishes stage s.
func autoTopic(s Stage) Topic { return Topic("automatic-" + string(s) + "-done") }

// doneTopic returns the topic fired when stage s is complete.
func doneTopic(s Stage) Topic { return Topic(string(s) + "-done") }

// readyTopic returns the topic fired when a document enters the manual
// queue of level l in stage s.
func readyTopic(s Stage, l Level) Topic {
	suffix := string(l) + "-level"
	if l == LevelQC {
		suffix = "qc"
	}
	return Topic("ready-for-" + string(s) + "-" + suffix)
}
