# Build Plugboard for Windows: the one-folder bundle and dist\Plugboard-<version>-windows-x64-setup.exe.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs Python 3.11+ (py launcher) and Inno Setup 6 (iscc.exe on PATH, or in its default folder; CI installs it
# with `choco install innosetup`). Signing is optional; with these variables set, every .exe of the bundle and the
# installer are signed with signtool (Windows SDK) and an RFC 3161 timestamp:
#   PLUGBOARD_SIGN_PFX       path to the code-signing certificate (.pfx)
#   PLUGBOARD_SIGN_PASSWORD  its password
#   PLUGBOARD_TIMESTAMP_URL  the certificate vendor's timestamp server (default http://timestamp.digicert.com)
$ErrorActionPreference = "Stop"
Set-Location (Resolve-Path "$PSScriptRoot\..\..")

$Version = (py -3 -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])").Trim()
$Build = "build\release"
$Venv = "$Build\venv"
if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
py -3 -m venv $Venv
& "$Venv\Scripts\python.exe" -m pip install -q --require-hashes --no-deps -r requirements\release.lock
if ($LASTEXITCODE) { throw "pip install from the lock failed" }
if (Test-Path build\lib) { Remove-Item -Recurse -Force build\lib }
& "$Venv\Scripts\python.exe" -m pip install -q --no-deps --no-build-isolation --force-reinstall .
if ($LASTEXITCODE) { throw "installing Plugboard into the build environment failed" }

$env:QT_QPA_PLATFORM = "offscreen"
& "$Venv\Scripts\python.exe" packaging\icons.py "$Build\icons"
Remove-Item Env:\QT_QPA_PLATFORM
$env:PLUGBOARD_VERSION = $Version
$env:PLUGBOARD_ICONS = (Resolve-Path "$Build\icons").Path
& "$Venv\Scripts\pyinstaller.exe" --noconfirm --log-level WARN --distpath "$Build\dist" --workpath "$Build\work" packaging\plugboard.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }
$Bundle = (Resolve-Path "$Build\dist\plugboard").Path
foreach ($exe in "plugboard.exe", "plugboard-app.exe") {
    if (-not (Test-Path "$Bundle\$exe")) { throw "PyInstaller did not produce $exe" }
}

$IsccArgs = @("/DVersion=$Version", "/DBundle=$Bundle", "/DIcons=$((Resolve-Path "$Build\icons").Path)")
if ($env:PLUGBOARD_SIGN_PFX) {
    $Timestamp = if ($env:PLUGBOARD_TIMESTAMP_URL) { $env:PLUGBOARD_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
    $Sign = @("sign", "/fd", "sha256", "/tr", $Timestamp, "/td", "sha256", "/f", $env:PLUGBOARD_SIGN_PFX, "/p", $env:PLUGBOARD_SIGN_PASSWORD)
    signtool @Sign "$Bundle\plugboard.exe" "$Bundle\plugboard-app.exe"
    if ($LASTEXITCODE) { throw "signing the executables failed" }
    $IsccArgs += "/Ssigntool=signtool.exe $($Sign -join ' ') `$f"
    $IsccArgs += "/DSign=1"
}
$Iscc = (Get-Command iscc -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $Iscc @IsccArgs packaging\windows\plugboard.iss
if ($LASTEXITCODE) { throw "Inno Setup failed" }
Get-ChildItem dist\Plugboard-$Version-windows-x64-setup.exe | Format-Table Name, Length
