; Inno Setup script: a per-user installer for Plugboard (no administrator rights asked).
;
;   iscc /DVersion=0.1.0 /DBundle=build\release\dist\plugboard /DIcons=build\release\icons packaging\windows\plugboard.iss
;   (signed: iscc "/Ssigntool=signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f $qcert.pfx$q /p $qPASSWORD$q $p" /DSign=1 ...)
;
; Installs into %LOCALAPPDATA%\Programs\Plugboard ({userpf} in a non-administrative install), the place Windows
; itself uses for per-user programs: no UAC prompt, no MSIX virtualisation of app data (FACTS.md §E.6), and an
; update replaces the files in the same folder. The folder holds plugboard.exe (console: the command Claude Desktop
; starts per connector, no Qt) and plugboard-app.exe (windowed: the app). The Start menu entry opens the app; the
; app copies the command's files to %LOCALAPPDATA%\Plugboard\bin at each start (core/install.py), the path
; Claude's entries name, so an update never leaves them pointing at a file that is gone.

#ifndef Version
  #define Version "0.0.0"
#endif
#ifndef Bundle
  #define Bundle "..\..\build\release\dist\plugboard"
#endif
#ifndef Icons
  #define Icons "..\..\build\release\icons"
#endif

[Setup]
AppId={{6F4B2D7A-3C55-4E0B-9A61-0C2E5B7F1D42}
AppName=Plugboard
AppVersion={#Version}
AppPublisher=Plugboard
DefaultDirName={userpf}\Plugboard
DefaultGroupName=Plugboard
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Plugboard-{#Version}-windows-x64-setup
SetupIconFile={#Icons}\plugboard.ico
UninstallDisplayIcon={app}\plugboard-app.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Close a running app before files are replaced; connectors keep running from the copy in Plugboard\bin.
CloseApplications=yes
#ifdef Sign
SignTool=signtool
SignedUninstaller=yes
#endif

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; Files of an older version that this one no longer has: the folder is replaced as a whole.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Plugboard"; Filename: "{app}\plugboard-app.exe"
Name: "{autodesktop}\Plugboard"; Filename: "{app}\plugboard-app.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\plugboard-app.exe"; Description: "Open Plugboard"; Flags: nowait postinstall skipifsilent
