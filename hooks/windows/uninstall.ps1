<#
.SYNOPSIS
  Removes adsync-pwfilter from a Windows domain controller
  (hooks/windows/README.md).

.DESCRIPTION
  Takes adsync-pwfilter out of HKLM\SYSTEM\CurrentControlSet\Control\Lsa
  "Notification Packages" (every other package stays) and deletes
  HKLM\SOFTWARE\adsync\PasswordFilter. LSASS keeps the DLL loaded until the
  next reboot, so the DLL file is deleted now if possible, otherwise
  scheduled for deletion at the reboot. With -Purge the data directory
  (%ProgramData%\adsync: hook file, log, and the spool of changes not yet
  delivered) is deleted too; without it, it stays. Then revoke the DC on the
  adsync host: `adsync hook revoke DCNAME`.
#>
[CmdletBinding()]
param([switch] $Purge)
$ErrorActionPreference = 'Stop'

$principal = New-Object Security.Principal.WindowsPrincipal(
	[Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole(
	[Security.Principal.WindowsBuiltInRole]::Administrator)) {
	throw 'Run this script from an elevated PowerShell (Administrator).'
}

$name = 'adsync-pwfilter'
$lsa = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa'
$current = @((Get-ItemProperty -Path $lsa -Name 'Notification Packages' -ErrorAction SilentlyContinue).'Notification Packages')
$current = @($current | Where-Object { $_ -ne $null -and $_ -ne '' })
if ($current -contains $name) {
	$new = [string[]]@($current | Where-Object { $_ -ne $name })
	Set-ItemProperty -Path $lsa -Name 'Notification Packages' -Value $new -Type MultiString
	Write-Host "Removed '$name' from Notification Packages: $($new -join ', ')"
} else {
	Write-Host "'$name' was not in Notification Packages"
}

$key = 'HKLM:\SOFTWARE\adsync\PasswordFilter'
if (Test-Path $key) {
	Remove-Item -Path $key -Recurse -Force
	Write-Host "Deleted $key"
}

$dll = Join-Path (Join-Path $env:SystemRoot 'System32') "$name.dll"
if (Test-Path -LiteralPath $dll) {
	try {
		Remove-Item -LiteralPath $dll -Force
		Write-Host "Deleted $dll"
	} catch {
		# Loaded by LSASS: delete at the next boot (MoveFileEx with
		# MOVEFILE_DELAY_UNTIL_REBOOT).
		$sig = '[DllImport("kernel32.dll", SetLastError=true, CharSet=CharSet.Unicode)] public static extern bool MoveFileEx(string a, string b, int f);'
		$k32 = Add-Type -MemberDefinition $sig -Name 'K32' -Namespace 'AdsyncUninstall' -PassThru
		if (-not $k32::MoveFileEx($dll, $null, 4)) {
			throw "Cannot schedule $dll for deletion"
		}
		Write-Host "$dll is in use by LSASS: it will be deleted at the reboot"
	}
}

$dataDir = Join-Path $env:ProgramData 'adsync'
if ($Purge) {
	if (Test-Path -LiteralPath $dataDir) {
		Remove-Item -LiteralPath $dataDir -Recurse -Force -ErrorAction Continue
		Write-Host "Deleted $dataDir (hook file, log, undelivered changes)"
	}
} else {
	Write-Host "Kept $dataDir (hook file, log, spool); -Purge deletes it"
}

Write-Host ''
Write-Host 'REBOOT this domain controller to unload the filter from LSASS.'
Write-Host 'Then revoke its certificate on the adsync host: adsync hook revoke DCNAME'
