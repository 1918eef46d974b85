"""The control catalogues policies cite: NCSC cloud principles, NDG standards, CIS Kubernetes.

A policy names its controls with :func:`ncsc`, :func:`ndg` and :func:`cis`, which fail at
import time on an unknown reference, so a typo cannot reach an auditor's report.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, order=True)
class Framework:
    key: str
    name: str
    version: str
    url: str


NCSC_FRAMEWORK = Framework(
    "NCSC", "NCSC Cloud Security Principles", "14 principles",
    "https://www.ncsc.gov.uk/collection/cloud/the-cloud-security-principles",
)
DSPT_FRAMEWORK = Framework(
    "DSPT", "NHS Data Security and Protection Toolkit: National Data Guardian's data security standards",
    "NDG 10 standards", "https://www.dsptoolkit.nhs.uk/",
)
CIS_FRAMEWORK = Framework(
    "CIS", "CIS Kubernetes Benchmark", "v1.9.0", "https://www.cisecurity.org/benchmark/kubernetes",
)
FRAMEWORKS = {f.key: f for f in (NCSC_FRAMEWORK, DSPT_FRAMEWORK, CIS_FRAMEWORK)}

#: The 14 NCSC Cloud Security Principles.
NCSC_PRINCIPLES: dict[str, str] = {
    "1": "Data in transit protection",
    "2": "Asset protection and resilience",
    "3": "Separation between customers",
    "4": "Governance framework",
    "5": "Operational security",
    "6": "Personnel security",
    "7": "Secure development",
    "8": "Supply chain security",
    "9": "Secure user management",
    "10": "Identity and authentication",
    "11": "External interface protection",
    "12": "Secure service administration",
    "13": "Audit information for customers",
    "14": "Secure use of the service",
}

#: Principles no rule over infrastructure code can demonstrate, and why (docs/controls.md).
NCSC_ORGANISATIONAL: dict[str, str] = {
    "4": "A governance framework is people, roles and board-level accountability (SIRO, Caldicott "
         "Guardian, risk registers); code can only be one of the things it governs.",
    "6": "Personnel security is vetting and training of the people with access (BPSS/SC "
         "clearance); nothing in a deployment records it.",
    "7": "Secure development is evidenced by the engineering process (review, CI, this pack and "
         "its tests running on every change), not by a property of the deployed resources.",
    "14": "Secure use of the service is the trusts' side of the shared responsibility: their "
          "users, devices and local networks are outside this estate's code.",
}

#: The National Data Guardian's 10 data security standards (assessed through the DSPT).
NDG_STANDARDS: dict[str, str] = {
    "1": "Personal confidential data",
    "2": "Staff responsibilities",
    "3": "Training",
    "4": "Managing data access",
    "5": "Process reviews",
    "6": "Responding to incidents",
    "7": "Continuity planning",
    "8": "Unsupported systems",
    "9": "IT protection",
    "10": "Accountable suppliers",
}

NDG_ORGANISATIONAL: dict[str, str] = {
    "2": "Staff responsibilities are signed statements and contracts of employment.",
    "3": "Annual data security training is recorded by each organisation's learning system.",
    "5": "Process reviews after breaches and near misses are management activities.",
    "10": "Supplier accountability is contractual (DSPT for suppliers, data processing agreements).",
}

#: The CIS Kubernetes Benchmark v1.9.0 recommendations the pack implements.
CIS_RECOMMENDATIONS: dict[str, str] = {
    "1.2.14": "Ensure that the admission control plugin NodeRestriction is set",
    "1.2.15": "Ensure that the --profiling argument is set to false",
    "1.2.16": "Ensure that the --audit-log-path argument is set",
    "1.2.17": "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate",
    "1.2.18": "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate",
    "1.2.19": "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate",
    "3.1.1": "Client certificate authentication should not be used for users",
    "3.2.1": "Ensure that a minimal audit policy is created",
    "3.2.2": "Ensure that the audit policy covers key security concerns",
    "5.1.1": "Ensure that the cluster-admin role is only used where required",
    "5.1.2": "Minimize access to secrets",
    "5.1.3": "Minimize wildcard use in Roles and ClusterRoles",
    "5.1.6": "Ensure that Service Account Tokens are only mounted where necessary",
    "5.1.7": "Avoid use of system:masters group",
    "5.1.8": "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    "5.2.1": "Ensure that the cluster has at least one active policy control mechanism in place",
    "5.2.2": "Minimize the admission of privileged containers",
    "5.2.3": "Minimize the admission of containers wishing to share the host process ID namespace",
    "5.2.4": "Minimize the admission of containers wishing to share the host IPC namespace",
    "5.2.5": "Minimize the admission of containers wishing to share the host network namespace",
    "5.2.6": "Minimize the admission of containers with allowPrivilegeEscalation",
    "5.2.7": "Minimize the admission of root containers",
    "5.2.8": "Minimize the admission of containers with the NET_RAW capability",
    "5.2.9": "Minimize the admission of containers with added capabilities",
    "5.2.10": "Minimize the admission of containers with capabilities assigned",
    "5.2.12": "Minimize the admission of HostPath volumes",
    "5.2.13": "Minimize the admission of containers which use HostPorts",
    "5.3.2": "Ensure that all Namespaces have NetworkPolicies defined",
    "5.4.1": "Prefer using Secrets as files over Secrets as environment variables",
    "5.5.1": "Configure Image Provenance using ImagePolicyWebhook admission controller",
    "5.7.1": "Create administrative boundaries between resources using namespaces",
    "5.7.2": "Ensure that the seccomp profile is set to docker/default in your Pod definitions",
    "5.7.3": "Apply SecurityContext to your Pods and Containers",
}


@dataclasses.dataclass(frozen=True, order=True)
class Control:
    """One control reference, e.g. NCSC principle 3 or CIS 5.1.3."""

    framework: str
    ref: str
    title: str

    @property
    def key(self) -> str:
        """Stable identifier used in reports and tags: ``NCSC-3``, ``DSPT-NDG-4``, ``CIS-5.1.3``."""
        return f"DSPT-NDG-{self.ref}" if self.framework == "DSPT" else f"{self.framework}-{self.ref}"

    @property
    def label(self) -> str:
        if self.framework == "NCSC":
            return f"NCSC principle {self.ref}: {self.title}"
        if self.framework == "DSPT":
            return f"NDG standard {self.ref}: {self.title}"
        return f"CIS {self.ref}: {self.title}"

    @property
    def sort_key(self) -> tuple:
        order = {"NCSC": 0, "DSPT": 1, "CIS": 2}[self.framework]
        return order, tuple(int(p) for p in self.ref.split("."))


def ncsc(principle: int) -> Control:
    return Control("NCSC", str(principle), NCSC_PRINCIPLES[str(principle)])


def ndg(standard: int) -> Control:
    return Control("DSPT", str(standard), NDG_STANDARDS[str(standard)])


def cis(recommendation: str) -> Control:
    return Control("CIS", recommendation, CIS_RECOMMENDATIONS[recommendation])


def all_controls() -> list[Control]:
    """Every control of the three catalogues, in report order."""
    controls = [ncsc(int(p)) for p in NCSC_PRINCIPLES]
    controls += [ndg(int(s)) for s in NDG_STANDARDS]
    controls += [cis(r) for r in CIS_RECOMMENDATIONS]
    return sorted(controls, key=lambda c: c.sort_key)
