package console

import (
	"net/http"
	"strings"
)

// Languages offered by the console.
const (
	langEN = "en"
	langZH = "zh-CN"
)

// messages holds the console's strings. Keys are English identifiers.
var messages = map[string]map[string]string{
	langEN: {
		"title": "medshield console", "login": "Log in", "logout": "Log out", "user": "User", "password": "Password",
		"hosts": "Hosts", "events": "Events", "alerts": "Alerts", "tokens": "Enrolment tokens", "users": "Users", "audit": "Audit log",
		"hostname": "Host name", "status": "Status", "online": "online", "offline": "offline", "revoked": "revoked",
		"os": "OS", "hospital": "Hospital", "department": "Department", "last_seen": "Last seen", "spool": "Spool depth",
		"dropped": "Dropped", "version": "Agent version", "enrolled": "Enrolled", "inventory": "Inventory", "no_inventory": "No inventory received yet.",
		"search": "Search", "from": "From", "to": "To", "kind": "Kind", "severity": "Min. severity", "rule": "Rule", "text": "Text",
		"field": "Field", "value": "Value", "time": "Time", "message": "Message", "host": "Host", "next": "Next page", "none": "Nothing found.",
		"create": "Create", "revoke": "Revoke", "ttl": "Valid for", "uses": "Uses", "expires": "Expires", "created": "Created",
		"created_by": "Created by", "token_once": "Copy this token now; it is shown only once:", "ca_fp": "CA fingerprint",
		"role": "Role", "name": "Name", "actor": "Actor", "action": "Action", "target": "Target", "detail": "Detail", "remote": "Address",
		"send_command": "Send command", "language": "中文", "bad_login": "Wrong user name or password.", "error": "Error",
		"enrol_hint": "Enrol a machine:", "all": "all", "dataset": "Dataset", "signed_in_as": "Signed in as",
		"unlock_code": "Issue agent unlock code (1 h)", "baseline": "Security baseline", "check": "Failed check", "controls": "Controls", "remediation": "Remediation", "summary": "Summary", "hosts_online": "hosts online", "alerts_24h": "alerts in the last 24 h",
		"posture": "Vulnerabilities", "posture_report": "Printable report", "sev_critical": "critical", "sev_high": "high",
		"sev_medium": "medium", "sev_low": "low", "hosts_affected": "hosts with findings", "missing_ms17010": "hosts missing MS17-010",
		"top_cves": "Most widespread vulnerabilities", "severity_label": "Severity", "assessed": "Assessed", "no_posture": "no inventory assessed yet",
		"posture_nodata": "No host inventory has been assessed yet.", "osv_missing": "No OSV vulnerability database is loaded: import one with 'medshield vuln db import' or 'medshield vuln db update'.",
		"osv_stale": "The OSV vulnerability database is older than 7 days; update it. Imported:", "osv_db": "OSV database records, imported",
		"findings": "Findings", "package": "Package", "installed": "Installed", "fixed_in": "Fixed in", "first_seen": "First seen",
		"fixed_at": "Fixed at", "explanation": "Explanation", "patch_checks": "Windows patch checks", "fixed_findings": "Fixed since the previous assessment",
		"generated": "Generated", "dengbao_control": "GB/T 22239-2019 (等保2.0) level 3, secure computing environment, intrusion prevention: known vulnerabilities are discovered and remediated after testing. Evidence: per-host findings matched against OSV advisories and the offline Windows patch table.",
	},
	langZH: {
		"title": "medshield 控制台", "login": "登录", "logout": "退出", "user": "用户名", "password": "密码",
		"hosts": "主机", "events": "事件", "alerts": "告警", "tokens": "注册令牌", "users": "用户", "audit": "审计日志",
		"hostname": "主机名", "status": "状态", "online": "在线", "offline": "离线", "revoked": "已吊销",
		"os": "操作系统", "hospital": "医院", "department": "科室", "last_seen": "最后在线", "spool": "缓存队列",
		"dropped": "丢弃", "version": "代理版本", "enrolled": "注册时间", "inventory": "资产信息", "no_inventory": "尚未收到资产信息。",
		"search": "搜索", "from": "开始", "to": "结束", "kind": "类型", "severity": "最低严重度", "rule": "规则", "text": "文本",
		"field": "字段", "value": "值", "time": "时间", "message": "消息", "host": "主机", "next": "下一页", "none": "没有结果。",
		"create": "创建", "revoke": "吊销", "ttl": "有效期", "uses": "次数", "expires": "过期", "created": "创建时间",
		"created_by": "创建者", "token_once": "请立即复制此令牌，它只显示一次：", "ca_fp": "CA 指纹",
		"role": "角色", "name": "名称", "actor": "操作者", "action": "操作", "target": "对象", "detail": "详情", "remote": "地址",
		"send_command": "发送命令", "language": "English", "bad_login": "用户名或密码错误。", "error": "错误",
		"enrol_hint": "注册一台机器：", "all": "全部", "dataset": "数据集", "signed_in_as": "当前用户",
		"unlock_code": "签发代理解锁码（1 小时）", "baseline": "安全基线", "check": "未通过的检查项", "controls": "控制点", "remediation": "整改建议", "summary": "概况", "hosts_online": "台主机在线", "alerts_24h": "条告警（24 小时内）",
		"posture": "漏洞态势", "posture_report": "打印报告", "sev_critical": "严重", "sev_high": "高危",
		"sev_medium": "中危", "sev_low": "低危", "hosts_affected": "存在漏洞的主机", "missing_ms17010": "缺少 MS17-010 补丁的主机",
		"top_cves": "影响最广的漏洞", "severity_label": "严重程度", "assessed": "评估时间", "no_posture": "尚未评估资产",
		"posture_nodata": "尚未评估任何主机的软件资产。", "osv_missing": "未加载 OSV 漏洞库：请使用 'medshield vuln db import' 或 'medshield vuln db update' 导入。",
		"osv_stale": "OSV 漏洞库已超过 7 天未更新，请更新。导入时间：", "osv_db": "OSV 漏洞库记录数、导入时间",
		"findings": "漏洞", "package": "软件包", "installed": "已安装版本", "fixed_in": "修复版本", "first_seen": "首次发现",
		"fixed_at": "修复时间", "explanation": "说明", "patch_checks": "Windows 补丁检查", "fixed_findings": "自上次评估以来已修复",
		"generated": "生成时间", "dengbao_control": "GB/T 22239-2019（等保2.0）三级 安全计算环境 · 入侵防范：应能发现可能存在的已知漏洞，并在经过充分测试评估后，及时修补漏洞。证据：各主机软件资产与 OSV 漏洞公告及离线 Windows 补丁表的匹配结果。",
	},
}

// pickLang chooses the language: the "lang" cookie, else Accept-Language.
func pickLang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil {
		if _, ok := messages[c.Value]; ok {
			return c.Value
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return langZH
		case strings.HasPrefix(tag, "en"):
			return langEN
		}
	}
	return langEN
}

func translator(lang string) func(string) string {
	m := messages[lang]
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		if v, ok := messages[langEN][k]; ok {
			return v
		}
		return k
	}
}
