<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko_KR">
<context>
    <name>AnswerExporter</name>
    <message>
        <source>There is no answer to export yet.</source>
        <translation>아직 내보낼 답변이 없습니다.</translation>
    </message>
    <message>
        <source>PDF with the cited pages (*.pdf)</source>
        <translation>인용한 쪽이 담긴 PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Markdown text (*.md)</source>
        <translation>마크다운 텍스트 (*.md)</translation>
    </message>
    <message>
        <source>Export as evidence</source>
        <translation>근거 자료로 내보내기</translation>
    </message>
    <message>
        <source>Exporting to {name}…</source>
        <translation>{name}(으)로 내보내는 중…</translation>
    </message>
    <message>
        <source>Exporting: page image {done} of {total}…</source>
        <translation>내보내는 중: 쪽 그림 {done}/{total}…</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>내보냄: {path}</translation>
    </message>
</context>
<context>
    <name>ChatList</name>
    <message>
        <source>Chats</source>
        <translation>대화</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>새 대화 (Ctrl+N)</translation>
    </message>
    <message>
        <source>Delete the selected chat</source>
        <translation>선택한 대화 삭제</translation>
    </message>
    <message>
        <source>Untitled chat</source>
        <translation>제목 없는 대화</translation>
    </message>
</context>
<context>
    <name>ChatRender</name>
    <message>
        <source>slide {n}</source>
        <translation>슬라이드 {n}</translation>
    </message>
    <message>
        <source>sheet ‘{sheet}’, row {row}</source>
        <translation>‘{sheet}’ 시트 {row}행</translation>
    </message>
    <message>
        <source>sheet ‘{sheet}’, rows {first}–{last}</source>
        <translation>‘{sheet}’ 시트 {first}–{last}행</translation>
    </message>
    <message>
        <source>p. {n}</source>
        <translation>{n}쪽</translation>
    </message>
    <message>
        <source>You:</source>
        <translation>나:</translation>
    </message>
    <message>
        <source>Your document says:</source>
        <translation>문서의 해당 문장:</translation>
    </message>
    <message>
        <source>Closest passages:</source>
        <translation>가장 가까운 구절:</translation>
    </message>
    <message>
        <source>Sources:</source>
        <translation>출처:</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>멈췄습니다.</translation>
    </message>
    <message>
        <source>Pages cited:</source>
        <translation>인용한 쪽:</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Drop files or folders anywhere on this window to add them to the library.</source>
        <translation>파일이나 폴더를 이 창 아무 곳에나 끌어다 놓으면 서재에 추가됩니다.</translation>
    </message>
    <message>
        <source>Or ask the user guide something first, such as “How do I add a bigger model?”</source>
        <translation>먼저 사용 설명서에 물어보세요. 예: “더 큰 모델은 어떻게 추가하나요?”</translation>
    </message>
    <message>
        <source>Ask a question about your documents below. Answers cite their sources: click [1] to see the passage.</source>
        <translation>아래에 문서에 대한 질문을 쓰세요. 답변은 출처를 밝힙니다. [1]을 누르면 해당 구절이 보입니다.</translation>
    </message>
    <message>
        <source>Ask a question about your documents…  (Enter asks, Shift+Enter: new line)</source>
        <translation>문서에 대해 질문하세요…  (Enter: 질문, Shift+Enter: 줄 바꿈)</translation>
    </message>
    <message>
        <source>Ask</source>
        <translation>질문</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>멈춤</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>답변 멈추기 (Esc)</translation>
    </message>
    <message>
        <source>Export this answer…</source>
        <translation>이 답변 내보내기…</translation>
    </message>
    <message>
        <source>Export the whole chat…</source>
        <translation>대화 전체 내보내기…</translation>
    </message>
</context>
<context>
    <name>FoundModelsBox</name>
    <message>
        <source>Models found on this computer</source>
        <translation>이 컴퓨터에서 찾은 모델</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>양자화</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>문맥 길이</translation>
    </message>
    <message>
        <source>From</source>
        <translation>출처</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>이 모델 쓰기</translation>
    </message>
    <message>
        <source>Answer with it where it is: linked, not copied (or double-click it)</source>
        <translation>있는 자리 그대로 답변에 씁니다. 복사하지 않고 연결합니다 (두 번 눌러도 됩니다)</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>다시 찾기</translation>
    </message>
    <message>
        <source>Looking in the folders of Ollama, LM Studio, GPT4All, Jan and Hugging Face…</source>
        <translation>Ollama, LM Studio, GPT4All, Jan, Hugging Face 폴더를 살펴보는 중…</translation>
    </message>
    <message>
        <source>{n} found. They stay where they are: nothing is copied.</source>
        <translation>{n}개를 찾았습니다. 제자리에 둔 채 쓰며, 아무것도 복사하지 않습니다.</translation>
    </message>
    <message>
        <source>No models of Ollama, LM Studio, GPT4All, Jan or Hugging Face found.</source>
        <translation>Ollama, LM Studio, GPT4All, Jan, Hugging Face 모델을 찾지 못했습니다.</translation>
    </message>
    <message>
        <source>The search for models failed.</source>
        <translation>모델을 찾지 못했습니다. 오류가 났습니다.</translation>
    </message>
    <message>
        <source>{name} will answer once you press OK.</source>
        <translation>확인을 누르면 {name} 모델이 답변합니다.</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <source>queued</source>
        <translation>대기 중</translation>
    </message>
    <message>
        <source>indexing…</source>
        <translation>색인 중…</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>준비됨</translation>
    </message>
    <message>
        <source>searchable by keywords · meaning in progress</source>
        <translation>단어로 검색 가능 · 의미 색인 중</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>실패</translation>
    </message>
    <message>
        <source>The current library</source>
        <translation>현재 서재</translation>
    </message>
    <message>
        <source>New library… (Ctrl+Shift+N)</source>
        <translation>새 서재… (Ctrl+Shift+N)</translation>
    </message>
    <message>
        <source>Rename library…</source>
        <translation>서재 이름 바꾸기…</translation>
    </message>
    <message>
        <source>Delete library…</source>
        <translation>서재 삭제…</translation>
    </message>
    <message>
        <source>Unlock…</source>
        <translation>잠금 해제…</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>문서</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>쪽수</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>서재</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>문서</translation>
    </message>
    <message>
        <source>Found by its words already; {n} of its {total} passages are still being read for their meaning.</source>
        <translation>이미 단어로 찾을 수 있습니다. 구절 {total}개 중 {n}개는 아직 의미를 색인하는 중입니다.</translation>
    </message>
    <message>
        <source>Encrypted: its folder holds no readable text.</source>
        <translation>암호화됨: 서재 폴더에 읽을 수 있는 글이 없습니다.</translation>
    </message>
    <message>
        <source>“{name}” is encrypted and locked.</source>
        <translation>“{name}”은(는) 암호화되어 잠겨 있습니다.</translation>
    </message>
    <message>
        <source>ready (newer version failed)</source>
        <translation>준비됨 (새 버전은 실패)</translation>
    </message>
    <message>
        <source>Open file</source>
        <translation>파일 열기</translation>
    </message>
    <message>
        <source>Re-index</source>
        <translation>다시 색인</translation>
    </message>
    <message>
        <source>Remove from library</source>
        <translation>서재에서 빼기</translation>
    </message>
    <message>
        <source>Ask about this document</source>
        <translation>이 문서에서만 묻기</translation>
    </message>
    <message>
        <source>Ask about these {n} documents</source>
        <translation>이 문서 {n}개에서만 묻기</translation>
    </message>
    <message>
        <source>Summarize</source>
        <translation>요약</translation>
    </message>
    <message>
        <source>Summarize pages…</source>
        <translation>쪽 범위 요약…</translation>
    </message>
</context>
<context>
    <name>LinkedFoldersBox</name>
    <message>
        <source>Linked folders</source>
        <translation>연결된 폴더</translation>
    </message>
    <message>
        <source>Folders the library follows: new, changed and deleted files are picked up</source>
        <translation>서재가 따라가는 폴더입니다. 새 파일, 바뀐 파일, 지운 파일이 반영됩니다</translation>
    </message>
    <message>
        <source>Link a folder… (Ctrl+Shift+O)</source>
        <translation>폴더 연결… (Ctrl+Shift+O)</translation>
    </message>
    <message>
        <source>Unlink the selected folder…</source>
        <translation>선택한 폴더 연결 끊기…</translation>
    </message>
    <message>
        <source>None yet: a folder you add stays linked.</source>
        <translation>아직 없습니다. 추가한 폴더는 연결된 채로 남습니다.</translation>
    </message>
    <message>
        <source>{path} (missing)</source>
        <translation>{path} (없음)</translation>
    </message>
    <message>
        <source>Not found (moved, or a drive not connected): kept</source>
        <translation>찾을 수 없음 (옮겨졌거나 드라이브가 연결되지 않음). 문서는 남겨 둡니다</translation>
    </message>
    <message>
        <source>Looking for changes…</source>
        <translation>바뀐 것을 찾는 중…</translation>
    </message>
    <message>
        <source>Followed: changes here are picked up</source>
        <translation>따라가는 중: 여기서 바뀐 것이 반영됩니다</translation>
    </message>
    <message>
        <source>Look for changes now</source>
        <translation>지금 바뀐 것 찾기</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>폴더 열기</translation>
    </message>
    <message>
        <source>Unlink…</source>
        <translation>연결 끊기…</translation>
    </message>
    <message>
        <source>Ask about this folder</source>
        <translation>이 폴더에서만 묻기</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>My documents</source>
        <translation>내 문서</translation>
    </message>
    <message>
        <source>Everything stays on this computer: no upload, no account, no network.</source>
        <translation>모든 것이 이 컴퓨터에 남습니다. 업로드도, 계정도, 네트워크도 없습니다.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Stop indexing; what is indexed so far is kept</source>
        <translation>색인을 멈춥니다. 지금까지 색인한 것은 남습니다</translation>
    </message>
    <message>
        <source>Model: starting…</source>
        <translation>모델: 시작하는 중…</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>파일(&amp;F)</translation>
    </message>
    <message>
        <source>Add &amp;files…</source>
        <translation>파일 추가(&amp;F)…</translation>
    </message>
    <message>
        <source>Add f&amp;older…</source>
        <translation>폴더 추가(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;New library…</source>
        <translation>새 서재(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Encrypt library…</source>
        <translation>서재 암호화(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Decrypt library…</source>
        <translation>서재 암호화 해제(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>설정(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>끝내기(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>대화(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>새 대화(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Stop answer</source>
        <translation>답변 멈추기(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Export answer…</source>
        <translation>답변 내보내기(&amp;E)…</translation>
    </message>
    <message>
        <source>Export &amp;whole chat…</source>
        <translation>대화 전체 내보내기(&amp;W)…</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>보기(&amp;V)</translation>
    </message>
    <message>
        <source>Zoom &amp;in</source>
        <translation>확대(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;out</source>
        <translation>축소(&amp;O)</translation>
    </message>
    <message>
        <source>Fit &amp;width</source>
        <translation>너비에 맞추기(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Previous page</source>
        <translation>이전 쪽(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Next page</source>
        <translation>다음 쪽(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>도움말(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;User guide</source>
        <translation>사용 설명서(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;About desktop-rag</source>
        <translation>desktop-rag 정보(&amp;A)</translation>
    </message>
    <message>
        <source>“{document}” is not in English, and this library was set up for English.</source>
        <translation>“{document}”은(는) 영어 문서가 아닌데, 이 라이브러리는 영어용으로 만들어졌습니다.</translation>
    </message>
    <message>
        <source>Search this library in every language?</source>
        <translation>이 라이브러리를 모든 언어로 검색할까요?</translation>
    </message>
    <message>
        <source>“{library}” was built with all-MiniLM-L6-v2, which understands English only: Korean questions find only passages that share their words. Re-embed it with {model} (about 100 languages)? Every document is read again, which takes a while; if it is cancelled or fails, the library stays as it is.</source>
        <translation>“{library}”은(는) 영어만 이해하는 all-MiniLM-L6-v2로 만들어졌습니다. 한국어 질문은 같은 낱말이 들어 있는 구절만 찾습니다. {model}(약 100개 언어)로 다시 임베딩할까요? 모든 문서를 다시 읽으므로 시간이 걸립니다. 취소되거나 실패하면 라이브러리는 그대로 남습니다.</translation>
    </message>
    <message>
        <source>A library named “{name}” already exists.</source>
        <translation>“{name}”(이)라는 서재가 이미 있습니다.</translation>
    </message>
    <message>
        <source>Rename library</source>
        <translation>서재 이름 바꾸기</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>새 이름:</translation>
    </message>
    <message>
        <source>Delete library</source>
        <translation>서재 삭제</translation>
    </message>
    <message>
        <source>Delete the library “{name}” and its index? Your files on disk are not touched.</source>
        <translation>“{name}” 서재와 색인을 삭제할까요? 디스크에 있는 파일은 건드리지 않습니다.</translation>
    </message>
    <message>
        <source>{documents} · {pages} · {size:.1f} MB</source>
        <translation>{documents} · {pages} · {size:.1f} MB</translation>
    </message>
    <message>
        <source>No documents yet: drop files here.</source>
        <translation>아직 문서가 없습니다. 여기에 파일을 끌어다 놓으세요.</translation>
    </message>
    <message>
        <source>Add files</source>
        <translation>파일 추가</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>문서</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>모든 파일</translation>
    </message>
    <message>
        <source>Add a folder (it stays linked)</source>
        <translation>폴더 추가 (연결된 채로 유지됩니다)</translation>
    </message>
    <message>
        <source>The library is still opening; try again in a moment.</source>
        <translation>서재를 여는 중입니다. 잠시 후 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Looking at the files…</source>
        <translation>파일을 살펴보는 중…</translation>
    </message>
    <message>
        <source>{done}/{total} files</source>
        <translation>파일 {done}/{total}개</translation>
    </message>
    <message>
        <source>about {time} left</source>
        <translation>약 {time} 남음</translation>
    </message>
    <message>
        <source>{pages} pages · {chunks} chunks</source>
        <translation>{pages}쪽 · 구절 {chunks}개</translation>
    </message>
    <message>
        <source>meaning {done}/{total}</source>
        <translation>의미 {done}/{total}</translation>
    </message>
    <message>
        <source>Searchable by keywords · meaning in progress</source>
        <translation>단어로 검색 가능 · 의미 색인 중</translation>
    </message>
    <message>
        <source>Indexing finished: {summary}</source>
        <translation>색인 완료: {summary}</translation>
    </message>
    <message>
        <source>Indexing cancelled; what was finished is kept.</source>
        <translation>색인을 취소했습니다. 끝난 것은 남습니다.</translation>
    </message>
    <message>
        <source>Some files were not added</source>
        <translation>추가하지 못한 파일이 있습니다</translation>
    </message>
    <message>
        <source>These files were skipped or could not be read; the others were added.</source>
        <translation>이 파일들은 건너뛰었거나 읽을 수 없었습니다. 나머지는 추가했습니다.</translation>
    </message>
    <message>
        <source>“{name}” is protected by a password.</source>
        <translation>“{name}” 파일은 비밀번호로 보호되어 있습니다.</translation>
    </message>
    <message>
        <source>The password for “{name}” was wrong. Try again:</source>
        <translation>“{name}” 파일의 비밀번호가 틀렸습니다. 다시 입력하세요:</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>비밀번호</translation>
    </message>
    <message>
        <source>Unlink folder</source>
        <translation>폴더 연결 끊기</translation>
    </message>
    <message>
        <source>Stop following “{folder}”?</source>
        <translation>“{folder}” 폴더를 더 이상 따라가지 않을까요?</translation>
    </message>
    <message>
        <source>Its documents can stay or be removed. Your files are not touched.</source>
        <translation>이 폴더의 문서는 남기거나 지울 수 있습니다. 원본 파일은 건드리지 않습니다.</translation>
    </message>
    <message>
        <source>Unlink, keep documents</source>
        <translation>연결만 끊고 문서는 남기기</translation>
    </message>
    <message>
        <source>Unlink and remove its documents</source>
        <translation>연결을 끊고 문서도 지우기</translation>
    </message>
    <message>
        <source>Unlinked {folder}; {n} documents removed.</source>
        <translation>{folder} 연결을 끊었습니다. 문서 {n}개를 지웠습니다.</translation>
    </message>
    <message>
        <source>{folder} is missing (moved, or a drive not connected).</source>
        <translation>{folder} 폴더가 없습니다 (옮겨졌거나 드라이브가 연결되지 않았습니다).</translation>
    </message>
    <message>
        <source>{folder}: {added} added, {updated} updated, {moved} renamed, {removed} removed</source>
        <translation>{folder}: {added}개 추가, {updated}개 갱신, {moved}개 이름 바뀜, {removed}개 삭제</translation>
    </message>
    <message>
        <source>Model: loading…</source>
        <translation>모델: 불러오는 중…</translation>
    </message>
    <message>
        <source>{name} (bundled)</source>
        <translation>{name} (기본 제공)</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>모델: {name}</translation>
    </message>
    <message>
        <source>Model: none (passages only)</source>
        <translation>모델: 없음 (구절만 보여 줌)</translation>
    </message>
    <message>
        <source>Model: unavailable (passages only)</source>
        <translation>모델: 사용할 수 없음 (구절만 보여 줌)</translation>
    </message>
    <message>
        <source>Meaning search is still partial: {pending} of {total} passages are found by their words only while their meaning is being indexed.</source>
        <translation>의미 검색은 아직 일부만 됩니다: 구절 {total}개 중 {pending}개는 의미를 색인하는 동안 단어로만 찾습니다.</translation>
    </message>
    <message>
        <source>There is no answer to export yet.</source>
        <translation>아직 내보낼 답변이 없습니다.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>The new language shows when desktop-rag starts again. Restart now?</source>
        <translation>새 언어는 desktop-rag를 다시 시작하면 적용됩니다. 지금 다시 시작할까요?</translation>
    </message>
    <message>
        <source>Embedding model changed</source>
        <translation>임베딩 모델이 바뀌었습니다</translation>
    </message>
    <message>
        <source>New libraries will use {new}. The library “{library}” was built with {old}; to use the new model it must be re-embedded, which reads every document again. Re-embed it now?</source>
        <translation>새 서재는 {new} 모델을 씁니다. “{library}” 서재는 {old} 모델로 만들어졌습니다. 새 모델을 쓰려면 모든 문서를 다시 읽어 임베딩해야 합니다. 지금 다시 임베딩할까요?</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>설치되지 않음</translation>
    </message>
    <message>
        <source>, licence {licence}</source>
        <translation>, 라이선스 {licence}</translation>
    </message>
    <message>
        <source>llama.cpp CPU code: shown once the answering model has loaded</source>
        <translation>llama.cpp CPU 코드: 답변 모델을 불러오면 표시됩니다</translation>
    </message>
    <message>
        <source>About desktop-rag</source>
        <translation>desktop-rag 정보</translation>
    </message>
    <message>
        <source>Ask questions about your own documents.</source>
        <translation>내 문서에 대해 질문하세요.</translation>
    </message>
    <message>
        <source>Answering model: {name}</source>
        <translation>답변 모델: {name}</translation>
    </message>
    <message>
        <source>Embedding model: {name}</source>
        <translation>임베딩 모델: {name}</translation>
    </message>
    <message>
        <source>Bundled embedding model: {source}</source>
        <translation>포함된 임베딩 모델: {source}</translation>
    </message>
    <message>
        <source>Data folder: {path}</source>
        <translation>데이터 폴더: {path}</translation>
    </message>
    <message>
        <source>The user guide cannot be opened ({reason}).</source>
        <translation>사용 설명서를 열 수 없습니다 ({reason}).</translation>
    </message>
    <message>
        <source>1 document</source>
        <translation>문서 1개</translation>
    </message>
    <message>
        <source>{n} documents</source>
        <translation>문서 {n}개</translation>
    </message>
    <message>
        <source>1 page</source>
        <translation>1쪽</translation>
    </message>
    <message>
        <source>{n} pages</source>
        <translation>{n}쪽</translation>
    </message>
    <message>
        <source>{n} added</source>
        <translation>{n}개 추가</translation>
    </message>
    <message>
        <source>{n} updated</source>
        <translation>{n}개 갱신</translation>
    </message>
    <message>
        <source>{n} unchanged</source>
        <translation>{n}개 그대로</translation>
    </message>
    <message>
        <source>{n} skipped</source>
        <translation>{n}개 건너뜀</translation>
    </message>
    <message>
        <source>{n} failed</source>
        <translation>{n}개 실패</translation>
    </message>
    <message>
        <source>nothing to do</source>
        <translation>할 일 없음</translation>
    </message>
    <message>
        <source>{pages} pages, {chunks} chunks in {seconds:.1f} s</source>
        <translation>{pages}쪽, 구절 {chunks}개, {seconds:.1f}초</translation>
    </message>
    <message>
        <source>(cancelled)</source>
        <translation>(취소됨)</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>{s}초</translation>
    </message>
    <message>
        <source>{m} min {s:02d} s</source>
        <translation>{m}분 {s:02d}초</translation>
    </message>
    <message>
        <source>{h} h {m:02d} min</source>
        <translation>{h}시간 {m:02d}분</translation>
    </message>
    <message>
        <source>Searchable by keywords · meaning in progress…</source>
        <translation>단어로 검색 가능 · 의미 색인 중…</translation>
    </message>
    <message>
        <source>That passphrase does not open “{name}”. Type it again:</source>
        <translation>그 암호 문구로는 “{name}”을(를) 열 수 없습니다. 다시 입력하세요:</translation>
    </message>
    <message>
        <source>“{name}” is encrypted. Type its passphrase:</source>
        <translation>“{name}”은(는) 암호화되어 있습니다. 암호 문구를 입력하세요:</translation>
    </message>
    <message>
        <source>Open encrypted library</source>
        <translation>암호화된 서재 열기</translation>
    </message>
    <message>
        <source>“{name}” stays locked.</source>
        <translation>“{name}”은(는) 잠긴 채로 있습니다.</translation>
    </message>
    <message>
        <source>“{name}” is locked: choose Unlock… and type its passphrase.</source>
        <translation>“{name}”은(는) 잠겨 있습니다. 잠금 해제…를 누르고 암호 문구를 입력하세요.</translation>
    </message>
    <message>
        <source>Encrypt library</source>
        <translation>서재 암호화</translation>
    </message>
    <message>
        <source>Choose a passphrase for “{name}”. You type it once each time desktop-rag starts. If encrypting is interrupted, the library stays as it is.</source>
        <translation>“{name}”에 쓸 암호 문구를 정하세요. desktop-rag를 시작할 때마다 한 번 입력합니다. 암호화가 중간에 멈추면 서재는 그대로 남습니다.</translation>
    </message>
    <message>
        <source>Decrypt library</source>
        <translation>서재 암호화 해제</translation>
    </message>
    <message>
        <source>Store “{name}” unencrypted? Anyone who can read this computer&apos;s disk could then read its passages and chats. Type its passphrase to confirm:</source>
        <translation>“{name}”을(를) 암호화하지 않고 저장할까요? 그러면 이 컴퓨터의 디스크를 읽을 수 있는 사람은 누구나 구절과 대화를 읽을 수 있습니다. 확인하려면 암호 문구를 입력하세요:</translation>
    </message>
    <message>
        <source>Encrypting “{name}”…</source>
        <translation>“{name}” 암호화 중…</translation>
    </message>
    <message>
        <source>Decrypting “{name}”…</source>
        <translation>“{name}” 암호화 해제 중…</translation>
    </message>
    <message>
        <source>S&amp;ummarize the selected document</source>
        <translation>선택한 문서 요약(&amp;U)</translation>
    </message>
    <message>
        <source>Ask the &amp;whole library</source>
        <translation>라이브러리 전체에 묻기(&amp;W)</translation>
    </message>
    <message>
        <source>Asking in “{name}”</source>
        <translation>“{name}”에서만 묻는 중</translation>
    </message>
    <message>
        <source>Asking in {n} documents</source>
        <translation>문서 {n}개에서만 묻는 중</translation>
    </message>
    <message>
        <source>Asking in the folder “{name}”</source>
        <translation>“{name}” 폴더에서만 묻는 중</translation>
    </message>
    <message>
        <source>Summarize pages {first}–{last} of “{title}”</source>
        <translation>“{title}” {first}–{last}쪽 요약</translation>
    </message>
    <message>
        <source>Summarize “{title}”</source>
        <translation>“{title}” 요약</translation>
    </message>
    <message>
        <source>Select one document in the list to summarize it.</source>
        <translation>요약할 문서를 목록에서 하나 고르세요.</translation>
    </message>
    <message>
        <source>Summarize pages</source>
        <translation>쪽 범위 요약</translation>
    </message>
    <message>
        <source>Pages of “{title}” to summarize (1–{n}), like 3-9:</source>
        <translation>요약할 “{title}”의 쪽 (1–{n}), 예: 3-9:</translation>
    </message>
    <message>
        <source>The document has {n} pages.</source>
        <translation>이 문서는 {n}쪽입니다.</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Something went wrong inside desktop-rag ({error}).</source>
        <translation>desktop-rag 안에서 문제가 생겼습니다 ({error}).</translation>
    </message>
    <message>
        <source>This is a bug. Details are in the log: {path}</source>
        <translation>프로그램 오류입니다. 자세한 내용은 로그에 있습니다: {path}</translation>
    </message>
</context>
<context>
    <name>PassphraseDialog</name>
    <message>
        <source>Passphrase:</source>
        <translation>암호 문구:</translation>
    </message>
    <message>
        <source>Type it again:</source>
        <translation>한 번 더 입력:</translation>
    </message>
    <message>
        <source>At least {n} characters.</source>
        <translation>{n}자 이상이어야 합니다.</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>두 암호 문구가 다릅니다.</translation>
    </message>
    <message>
        <source>Passages, chats and the index are stored encrypted. There is no way to recover a forgotten passphrase: the library would have to be built again from your files.</source>
        <translation>구절, 대화, 색인이 암호화되어 저장됩니다. 잊어버린 암호 문구는 되찾을 방법이 없으며, 그러면 파일에서 서재를 다시 만들어야 합니다.</translation>
    </message>
    <message>
        <source>New library</source>
        <translation>새 서재</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>이름:</translation>
    </message>
    <message>
        <source>Encrypt this library with a passphrase</source>
        <translation>이 서재를 암호 문구로 암호화</translation>
    </message>
</context>
<context>
    <name>ScopeChip</name>
    <message>
        <source>Ask the whole library again</source>
        <translation>라이브러리 전체에 다시 묻기</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Choose .gguf…</source>
        <translation>.gguf 고르기…</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>폴더…</translation>
    </message>
    <message>
        <source>Automatic: each library chooses from its documents</source>
        <translation>자동: 라이브러리마다 문서에 맞춰 고릅니다</translation>
    </message>
    <message>
        <source>Used for new libraries. Left empty, a library takes the model that reads its first document best: the English-only all-MiniLM-L6-v2 for English, multilingual-e5-small (about 100 languages) for any other language, and for every library while the window speaks Korean. Type “minilm” or “e5” to fix one. A library keeps its model; using another one means re-embedding every document.</source>
        <translation>새 라이브러리에 쓰입니다. 비워 두면 라이브러리가 첫 문서를 가장 잘 읽는 모델을 고릅니다: 영어에는 영어 전용 all-MiniLM-L6-v2, 다른 언어에는 multilingual-e5-small(약 100개 언어)이며, 창이 한국어일 때는 모든 라이브러리에 multilingual-e5-small을 씁니다. 하나로 정하려면 “minilm” 또는 “e5”를 입력하세요. 라이브러리는 만들어진 모델을 계속 쓰며, 다른 모델을 쓰려면 모든 문서를 다시 임베딩해야 합니다.</translation>
    </message>
    <message>
        <source>automatic (physical cores)</source>
        <translation>자동 (물리 코어 수)</translation>
    </message>
    <message>
        <source>Answering model</source>
        <translation>답변 모델</translation>
    </message>
    <message>
        <source>Embedding model</source>
        <translation>임베딩 모델</translation>
    </message>
    <message>
        <source>Sources per answer</source>
        <translation>답변당 출처 수</translation>
    </message>
    <message>
        <source>Answer length (tokens)</source>
        <translation>답변 길이 (토큰)</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>온도</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>스레드</translation>
    </message>
    <message>
        <source>Follow the system ({language})</source>
        <translation>시스템 설정 따르기 ({language})</translation>
    </message>
    <message>
        <source>The window&apos;s language; the command line stays English</source>
        <translation>창의 언어입니다. 명령줄은 영어로 남습니다</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>{name} (bundled)</source>
        <translation>{name} (기본 제공)</translation>
    </message>
    <message>
        <source>, licence {licence}</source>
        <translation>, 라이선스 {licence}</translation>
    </message>
    <message>
        <source>{arch}, {quant}, {size}, context {n} tokens</source>
        <translation>{arch}, {quant}, {size}, 문맥 {n} 토큰</translation>
    </message>
    <message>
        <source>Choose a model</source>
        <translation>모델 고르기</translation>
    </message>
    <message>
        <source>GGUF models</source>
        <translation>GGUF 모델</translation>
    </message>
    <message>
        <source>Choose a sentence-transformers model folder</source>
        <translation>sentence-transformers 모델 폴더 고르기</translation>
    </message>
</context>
<context>
    <name>SourceViewer</name>
    <message>
        <source>No source open</source>
        <translation>열린 출처 없음</translation>
    </message>
    <message>
        <source>Previous page (PgUp)</source>
        <translation>이전 쪽 (PgUp)</translation>
    </message>
    <message>
        <source>Next page (PgDown)</source>
        <translation>다음 쪽 (PgDown)</translation>
    </message>
    <message>
        <source>Zoom out (Ctrl+-)</source>
        <translation>축소 (Ctrl+-)</translation>
    </message>
    <message>
        <source>Zoom in (Ctrl++)</source>
        <translation>확대 (Ctrl++)</translation>
    </message>
    <message>
        <source>Fit width</source>
        <translation>너비에 맞추기</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>열기</translation>
    </message>
    <message>
        <source>Open in the system viewer</source>
        <translation>시스템 뷰어로 열기</translation>
    </message>
    <message>
        <source>Click a citation such as [1] to see the passage here.</source>
        <translation>[1] 같은 인용을 누르면 여기에 해당 구절이 보입니다.</translation>
    </message>
    <message>
        <source>{title} — {where}</source>
        <translation>{title} — {where}</translation>
    </message>
    <message>
        <source>Cannot open {name}: {reason}</source>
        <translation>{name} 파일을 열 수 없습니다: {reason}</translation>
    </message>
    <message>
        <source>The file {name} cannot be shown ({reason}). It may have been moved or deleted; the indexed text is still searchable.</source>
        <translation>{name} 파일을 보여 줄 수 없습니다 ({reason}). 옮겨졌거나 지워졌을 수 있습니다. 색인된 내용은 여전히 검색됩니다.</translation>
    </message>
</context>
<context>
    <name>WorkProgress</name>
    <message>
        <source>Summarizing — {part} ({n} of {total})</source>
        <translation>요약하는 중 — {part} ({total}개 중 {n}번째)</translation>
    </message>
    <message>
        <source>about {n} s left</source>
        <translation>약 {n}초 남음</translation>
    </message>
    <message>
        <source>about {n} min left</source>
        <translation>약 {n}분 남음</translation>
    </message>
</context>
</TS>
