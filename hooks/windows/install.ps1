<#
.SYNOPSIS
  Installs adsync-pwfilter.dll, adsync's password filter, on a Windows
  domain controller (hooks/windows/README.md).

.DESCRIPTION
  - copies adsync-pwfilter.dll to %SystemRoot%\System32;
  - copies the hook file written by `adsync hook enroll DCNAME` to
    %ProgramData%\adsync\adsync.hook (unless -HookFile already points to a
    protected location you chose with -KeepHookFilePath), restricts it to
    SYSTEM and Administrators, and records its path in
    HKLM\SOFTWARE\adsync\PasswordFilter\HookFile;
  - adds adsync-pwfilter to HKLM\SYSTEM\CurrentControlSet\Control\Lsa
    "Notification Packages" (REG_MULTI_SZ), once;
  - tells you to reboot: LSASS loads notification packages only at start.
  Run it on every writable DC, each with its own hook file, from an
  elevated PowerShell.

.EXAMPLE
  .\install.ps1 -Dll .\adsync-pwfilter.dll -HookFile .\DC1.adsync-hook
#>
[CmdletBinding()]
param(
	[Parameter(Mandatory = $true)] [string] $Dll,
	[Parameter(Mandatory = $true)] [string] $HookFile,
	[switch] $KeepHookFilePath
)
$ErrorActionPreference = 'Stop'

$principal = New-Object Security.Principal.WindowsPrincipal(
	[Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole(
	[Security.Principal.WindowsBuiltInRole]::Administrator)) {
	throw 'Run this script from an elevated PowerShell (Administrator).'
}
if (-not [Environment]::Is64BitProcess) {
	throw 'Run the 64-bit PowerShell: the DLL is 64-bit and must go to the real System32.'
}
if (-not (Test-Path -LiteralPath $Dll -PathType Leaf)) { throw "No such DLL: $Dll" }
if (-not (Test-Path -LiteralPath $HookFile -PathType Leaf)) { throw "No such hook file: $HookFile" }

$name = 'adsync-pwfilter'
$system32 = Join-Path $env:SystemRoot 'System32'
$dataDir = Join-Path $env:ProgramData 'adsync'

# 1. The DLL. A loaded copy (an earlier install, before reboot) cannot be
#    overwritten: then the new one waits for the reboot under its own name.
$target = Join-Path $system32 "$name.dll"
try {
	Copy-Item -LiteralPath $Dll -Destination $target -Force
} catch {
	throw "Cannot replace $target (LSASS has it loaded?). Uninstall, reboot, then install again. $_"
}
Write-Host "Copied the DLL to $target"

# 2. The data directory and the hook file, for SYSTEM and Administrators
#    only (the DLL creates the directory with the same ACL if missing).
if (-not (Test-Path -LiteralPath $dataDir)) {
	New-Item -ItemType Directory -Path $dataDir | Out-Null
}
& icacls.exe $dataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls failed on $dataDir" }
if ($KeepHookFilePath) {
	$hookPath = (Resolve-Path -LiteralPath $HookFile).Path
} else {
	$hookPath = Join-Path $dataDir 'adsync.hook'
	Copy-Item -LiteralPath $HookFile -Destination $hookPath -Force
}
& icacls.exe $hookPath /inheritance:r /grant:r '*S-1-5-18:F' '*S-1-5-32-544:F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls failed on $hookPath" }
Write-Host "Hook file: $hookPath (SYSTEM and Administrators only)"
if (-not $KeepHookFilePath) {
	Write-Host "Delete the copy you brought ($HookFile) once this works: it holds the DC's private key."
}

$key = 'HKLM:\SOFTWARE\adsync\PasswordFilter'
if (-not (Test-Path $key)) { New-Item -Path $key -Force | Out-Null }
New-ItemProperty -Path $key -Name 'HookFile' -PropertyType String -Value $hookPath -Force | Out-Null
Write-Host "Set $key\HookFile"

# 3. Notification Packages: append once, keep every other package (scecli,
#    rassfm, other password filters) in its place.
$lsa = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa'
$current = @((Get-ItemProperty -Path $lsa -Name 'Notification Packages' -ErrorAction SilentlyContinue).'Notification Packages')
$current = @($current | Where-Object { $_ -ne $null -and $_ -ne '' })
if ($current -contains $name) {
	Write-Host "'$name' is already in Notification Packages"
} else {
	$new = [string[]]($current + $name)
	Set-ItemProperty -Path $lsa -Name 'Notification Packages' -Value $new -Type MultiString
	Write-Host "Added '$name' to Notification Packages: $($new -join ', ')"
}

Write-Host ''
Write-Host 'REBOOT this domain controller: LSASS loads password filters only when it starts.'
Write-Host "After the reboot, check $dataDir\pwfilter.log for 'sender: started' and a heartbeat,"
Write-Host 'and `adsync hook status` on the adsync host for this DC.'
